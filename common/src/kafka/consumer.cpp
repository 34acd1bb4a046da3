#include "batchrun/common/kafka/consumer.hpp"

#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {

void addConsumerExtras(const KafkaSettings& settings, std::map<std::string, std::string>& props) {
  for (const auto& [k, v] : settings.extra) {
    if (k.rfind("linger", 0) != 0 && k.rfind("batch.", 0) != 0 && k != "acks" && k.rfind("compression", 0) != 0) {
      props[k] = v;
    }
  }
}

Result<rd_kafka_t*> newAssignOnlyConsumer(const KafkaSettings& settings, std::map<std::string, std::string> props,
                                          const std::string& what) {
  std::map<std::string, std::string> all = {
      {"bootstrap.servers", settings.brokers},
      {"group.id", "batchrun-" + what + "-" + uuidv7()},  // required by librdkafka; never joined
      {"enable.auto.commit", "false"},
  };
  addConsumerExtras(settings, all);
  for (auto& [k, v] : props) all[k] = std::move(v);
  auto conf = makeConf(all);
  if (!conf) return conf.error();
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(*conf);
    return Error::invalid("kafka " + what + ": " + err);
  }
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

std::vector<TopicPartition> toVector(const rd_kafka_topic_partition_list_t* parts) {
  std::vector<TopicPartition> out;
  for (int i = 0; parts && i < parts->cnt; ++i) out.push_back({parts->elems[i].topic, parts->elems[i].partition});
  return out;
}

Result<std::unique_ptr<Consumer>> Consumer::create(const KafkaSettings& settings, ConsumerOptions options,
                                                   RebalanceListener* listener) {
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", settings.brokers},
      {"group.id", options.group_id},
      {"partition.assignment.strategy", options.assignment_strategy},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},  // only what the caller marks done gets committed
      {"auto.commit.interval.ms", "1000"},
      {"auto.offset.reset", "earliest"},
      // How long a crashed member's partitions wait for it: the dispatcher's and webhook-sender's
      // handover after a kill -9 (9-11 s at 10000, 6-9 s at 6000: docs/performance.md). 6000 is
      // the broker's default floor (group.min.session.timeout.ms); BATCHRUN_KAFKA_CONFIG overrides.
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "1000"},
      {"max.poll.interval.ms", "300000"},
      {"fetch.wait.max.ms", "50"},
  };
  addConsumerExtras(settings, props);
  for (const auto& [k, v] : options.overrides) props[k] = v;
  auto conf = makeConf(props);
  if (!conf) return conf.error();
  rd_kafka_conf_set_rebalance_cb(*conf, &Consumer::onRebalance);
  auto* self = new Consumer(nullptr, std::move(options), listener);
  rd_kafka_conf_set_opaque(*conf, self);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    delete self;
    return Error::invalid(std::string("kafka consumer: ") + err);
  }
  self->rk_ = rk;
  rd_kafka_poll_set_consumer(rk);
  return std::unique_ptr<Consumer>(self);
}

Consumer::Consumer(rd_kafka_t* rk, ConsumerOptions options, RebalanceListener* listener)
    : rk_(rk), options_(std::move(options)), listener_(listener) {}

Consumer::~Consumer() {
  close();
  rd_kafka_destroy(rk_);
}

Status Consumer::subscribe(const std::vector<std::string>& topics) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return Error::unavailable(std::string("subscribe: ") + rd_kafka_err2str(err));
  return {};
}

void Consumer::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  try {
    self->handleRebalance(err, parts);
  } catch (const std::exception& e) {
    log::error("rebalance listener threw", {{"error", e.what()}});
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) rd_kafka_assign(rk, parts); else rd_kafka_assign(rk, nullptr);
  }
}

void Consumer::handleRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk_, parts);
    assignment_ = toVector(parts);
    if (options_.per_partition_queues) {
      for (const auto& tp : assignment_) {
        rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk_, tp.topic.c_str(), tp.partition);
        // Detach from the consumer queue: records stay here until pollPartition() asks.
        rd_kafka_queue_forward(q, nullptr);
        queues_[tp] = q;
      }
    }
    log::info("partitions assigned", {{"group", options_.group_id}, {"count", std::to_string(assignment_.size())}});
    if (listener_) listener_->onAssigned(assignment_);
  } else {
    auto revoked = toVector(parts);
    if (listener_) listener_->onRevoked(revoked);
    // Commit what the listener stored before the partitions move to another member.
    rd_kafka_commit(rk_, nullptr, 0);
    dropQueues();
    rd_kafka_assign(rk_, nullptr);
    assignment_.clear();
    log::info("partitions revoked", {{"group", options_.group_id}, {"count", std::to_string(revoked.size())}});
  }
}

void Consumer::dropQueues() {
  for (auto& [tp, q] : queues_) rd_kafka_queue_destroy(q);
  queues_.clear();
}

Message Consumer::poll(int timeout_ms) { return Message(rd_kafka_consumer_poll(rk_, timeout_ms)); }

Message Consumer::pollPartition(const TopicPartition& tp) {
  auto it = queues_.find(tp);
  if (it == queues_.end()) return Message();
  return Message(rd_kafka_consume_queue(it->second, 0));
}

void Consumer::storeOffset(const TopicPartition& tp, int64_t next_offset) {
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition)->offset = next_offset;
  rd_kafka_offsets_store(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

Status Consumer::commitSync() {
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_, nullptr, 0);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) return Error::unavailable(std::string("commit: ") + rd_kafka_err2str(err));
  return {};
}

int64_t Consumer::lag(const TopicPartition& tp) {
  int64_t low = 0, high = 0;
  if (rd_kafka_get_watermark_offsets(rk_, tp.topic.c_str(), tp.partition, &low, &high)) return -1;
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition);
  rd_kafka_position(rk_, list);
  int64_t pos = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(list);
  if (pos < 0) pos = low;
  return high > pos ? high - pos : 0;
}

void Consumer::close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);  // runs the revoke callback, which commits
  dropQueues();
}

}  // namespace batchrun
