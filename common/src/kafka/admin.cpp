#include "batchrun/common/kafka/admin.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {

namespace {

constexpr const char* kWeekMs = "604800000";

struct RkDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RkPtr = std::unique_ptr<rd_kafka_t, RkDeleter>;

Result<RkPtr> adminHandle(const KafkaSettings& settings) {
  auto conf = makeConf({{"bootstrap.servers", settings.brokers}});
  if (!conf) return conf.error();
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(*conf);
    return Error::invalid(std::string("kafka admin: ") + err);
  }
  return RkPtr(rk);
}

}  // namespace

std::vector<TopicSpec> standardTopics(const KafkaSettings& s) {
  Topics t(s);
  const std::string isr = std::to_string(s.min_insync_replicas);
  auto spec = [&](std::string name, std::map<std::string, std::string> cfg) {
    // Unset (0): the topic follows the broker's min.insync.replicas, as its replication follows
    // the broker's default.replication.factor (replication_factor -1).
    if (s.min_insync_replicas > 0) cfg["min.insync.replicas"] = isr;
    return TopicSpec{std::move(name), s.partitions, s.replication_factor, std::move(cfg)};
  };
  std::map<std::string, std::string> del = {{"cleanup.policy", "delete"}, {"retention.ms", kWeekMs}};
  std::map<std::string, std::string> compact = {{"cleanup.policy", "compact"}, {"segment.ms", "3600000"},
                                                {"min.cleanable.dirty.ratio", "0.2"}};
  std::vector<TopicSpec> out;
  for (const auto& lane : t.laneTopics()) out.push_back(spec(lane, del));
  // What ingest's read views index queued runs by; kept as long as the lane records it points to.
  out.push_back(spec(t.run_index, del));
  // Compacted (a run's latest record) and deleted after the run retention: runs.state follows the
  // runs of the window, not every run ever accepted. Hour segments let deletion keep up.
  auto state = compact;
  state["cleanup.policy"] = "compact,delete";
  state["retention.ms"] = std::to_string(s.run_retention_ms);
  out.push_back(spec(t.state, state));
  out.push_back(spec(t.control, del));
  out.push_back(spec(t.events, del));
  out.push_back(spec(t.batch_progress, del));
  out.push_back(spec(t.workflows, compact));
  out.push_back(spec(t.endpoints, compact));
  out.push_back(spec(t.webhook_retry, del));
  out.push_back(spec(t.webhook_dlq, {{"cleanup.policy", "delete"}, {"retention.ms", "1209600000"}}));
  // Poison records are kept two weeks for inspection, like dead webhook deliveries.
  out.push_back(spec(t.dead_letter, {{"cleanup.policy", "delete"}, {"retention.ms", "1209600000"}}));
  // Fingerprints are needed for the idempotency window only; compaction keeps one per key.
  out.push_back(spec(t.idempotency, {{"cleanup.policy", "compact,delete"}, {"retention.ms", kWeekMs}}));
  return out;
}

Status ensureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& specs, int timeout_ms) {
  auto rk = adminHandle(settings);
  if (!rk) return rk.error();
  std::vector<rd_kafka_NewTopic_t*> topics;
  char err[512];
  for (const auto& s : specs) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(s.name.c_str(), s.partitions, s.replication_factor, err, sizeof err);
    if (!nt) {
      for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
      return Error::invalid("topic " + s.name + ": " + err);
    }
    for (const auto& [k, v] : s.config) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    topics.push_back(nt);
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk->get());
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_CreateTopics(rk->get(), topics.data(), topics.size(), opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
  Status status;
  if (!ev) {
    status = Error::unavailable("create topics: no answer from Kafka at " + settings.brokers);
  } else if (rd_kafka_event_error(ev)) {
    status = Error::unavailable(std::string("create topics: ") + rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    std::string problems;
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
      problems += std::string(problems.empty() ? "" : "; ") + rd_kafka_topic_result_name(results[i]) + ": " +
                  (rd_kafka_topic_result_error_string(results[i]) ? rd_kafka_topic_result_error_string(results[i])
                                                                   : rd_kafka_err2str(e));
    }
    if (!problems.empty()) status = Error::unavailable("create topics: " + problems);
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
  if (!status) return status;
  // Existing topics keep their partition count; co-partitioning needs them all equal. A topic
  // just created takes a moment to appear in metadata, so wait for it (bounded).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& s : specs) {
    auto n = partitionCount(settings, s.name, timeout_ms);
    while (!n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      n = partitionCount(settings, s.name, timeout_ms);
    }
    if (!n) return n.error();
    if (*n != s.partitions) {
      log::warn("topic exists with another partition count",
                {{"topic", s.name}, {"has", std::to_string(*n)}, {"configured", std::to_string(s.partitions)}});
    }
  }
  if (auto drift = configDrift(settings, specs, timeout_ms); !drift) {
    log::warn("could not compare the topics' configuration", {{"error", drift.error().message}});
  } else {
    for (const auto& d : *drift) log::warn("topic exists with other settings (see docs/topics.md)", {{"difference", d}});
  }
  return {};
}

Result<std::vector<std::string>> configDrift(const KafkaSettings& settings, const std::vector<TopicSpec>& specs,
                                             int timeout_ms) {
  auto rk = adminHandle(settings);
  if (!rk) return rk.error();
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& s : specs) resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s.name.c_str()));
  char err[512];
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk->get());
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_DescribeConfigs(rk->get(), resources.data(), resources.size(), opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
  Result<std::vector<std::string>> out = std::vector<std::string>();
  if (!ev) {
    out = Error::unavailable("describe configs: no answer from Kafka at " + settings.brokers);
  } else if (rd_kafka_event_error(ev)) {
    out = Error::unavailable(std::string("describe configs: ") + rd_kafka_event_error_string(ev));
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** described =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_ConfigResource_error(described[i])) continue;  // e.g. not created: nothing to compare
      const std::string name = rd_kafka_ConfigResource_name(described[i]);
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const TopicSpec& s) { return s.name == name; });
      if (spec == specs.end()) continue;
      std::map<std::string, std::string> has;
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** config = rd_kafka_ConfigResource_configs(described[i], &entries);
      for (size_t e = 0; e < entries; ++e) {
        const char* value = rd_kafka_ConfigEntry_value(config[e]);
        has[rd_kafka_ConfigEntry_name(config[e])] = value ? value : "";
      }
      for (const auto& [key, want] : spec->config) {
        auto it = has.find(key);
        if (it != has.end() && it->second != want) {
          out->push_back(name + " " + key + "=" + it->second + " (configured: " + want + ")");
        }
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  return out;
}

Result<int> partitionCount(const KafkaSettings& settings, const std::string& topic, int timeout_ms) {
  auto rk = adminHandle(settings);
  if (!rk) return rk.error();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk->get(), 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (e) return Error::unavailable("metadata for " + topic + ": " + rd_kafka_err2str(e));
  Result<int> out = md->topics[0].err ? Result<int>(Error::notFound(topic + ": " + rd_kafka_err2str(md->topics[0].err)))
                                      : Result<int>(md->topics[0].partition_cnt);
  rd_kafka_metadata_destroy(md);
  return out;
}

}  // namespace batchrun
