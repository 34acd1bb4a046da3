#include "batchrun/webhook/replay_scanner.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <future>
#include <map>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/webhook/extend_envelope.hpp"

namespace batchrun::webhook {

namespace {

constexpr int kTimeoutMs = 15000;

// Counts acknowledgements of the records one scan writes.
class AckCounter final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport& r, void*) override {
    std::lock_guard lock(mu_);
    if (!r.ok) failed_ = true;
    --outstanding_;
    cv_.notify_all();
  }
  void sent() {
    std::lock_guard lock(mu_);
    ++outstanding_;
  }
  bool waitAll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return outstanding_ == 0; });  // message.timeout.ms bounds every report
    return !failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t outstanding_ = 0;
  bool failed_ = false;
};

struct RkDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

bool write(Producer& producer, const Topics& topics, const WebhookDelivery& d, AckCounter& acks) {
  acks.sent();
  auto st = producer.produce({topics.webhook_retry, d.endpoint_id, encodeWebhookDelivery(d), {}}, &acks, nullptr);
  if (!st) acks.onDelivery({false, st.error().message}, nullptr);
  return static_cast<bool>(st);
}

}  // namespace

ReplayScanner::ReplayScanner(const KafkaSettings& kafka, const Topics& topics, EndpointView& view, Producer& producer,
                             WebhookReplay replay, Done done)
    : kafka_(kafka), topics_(topics), view_(view), producer_(producer), replay_(std::move(replay)),
      done_(std::move(done)), thread_([this] { run(); }) {}

ReplayScanner::~ReplayScanner() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ReplayScanner::run() {
  bool ok = false;
  try {
    ok = scan();
  } catch (const std::exception& e) {
    log::error("replay scan threw", {{"replay_id", replay_.replay_id}, {"error", e.what()}});
  }
  if (stop_.load()) return;
  finished_ = true;
  done_(ok);
}

bool ReplayScanner::scan() {
  auto ep = view_.get(replay_.endpoint_id);
  if (!ep || ep->project != replay_.project) return true;  // deleted since: nothing to replay
  auto conf = makeConf({{"bootstrap.servers", kafka_.brokers},
                        {"group.id", "batchrun-replay-" + uuidv7()},  // never joined or committed
                        {"enable.auto.commit", "false"},
                        {"enable.partition.eof", "true"}});
  if (!conf) return false;
  char err[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!raw) {
    rd_kafka_conf_destroy(*conf);
    return false;
  }
  std::unique_ptr<rd_kafka_t, RkDeleter> rk(raw);
  rd_kafka_poll_set_consumer(raw);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(raw, topics_.events.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(raw, 0, rkt, &md, kTimeoutMs);
  rd_kafka_topic_destroy(rkt);
  if (e || md->topic_cnt != 1 || md->topics[0].err) {
    if (md) rd_kafka_metadata_destroy(md);
    return false;
  }
  auto* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
    rd_kafka_topic_partition_list_add(list, topics_.events.c_str(), md->topics[0].partitions[p].id)->offset =
        replay_.since;
  }
  rd_kafka_metadata_destroy(md);
  // Each partition is read from the first record at or after `since` up to its end as of now.
  std::map<int32_t, int64_t> end;
  bool ok = rd_kafka_offsets_for_times(raw, list, kTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; ok && i < list->cnt; ++i) {
    auto& el = list->elems[i];
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(raw, el.topic, el.partition, &low, &high, kTimeoutMs)) ok = false;
    if (el.offset < 0) el.offset = high;  // nothing at or after `since`
    if (el.offset < high) end[el.partition] = high;
  }
  if (!ok || end.empty()) {
    rd_kafka_topic_partition_list_destroy(list);
    return ok;
  }
  rd_kafka_assign(raw, list);
  rd_kafka_topic_partition_list_destroy(list);

  AckCounter acks;
  int64_t now = SystemClock::instance().nowMs();
  int64_t replayed = 0;
  // batch.completed deliveries are written after every other one was acknowledged: the partition's
  // owner holds a first attempt of batch.completed until the batch's run-event deliveries pending
  // in front of it are over, so they must be in front of it.
  std::vector<WebhookDelivery> last;
  while (!end.empty() && !stop_.load()) {
    rd_kafka_message_t* rm = rd_kafka_consumer_poll(raw, 100);
    if (!rm) continue;
    Message m(rm);
    auto it = end.find(m.partition());
    if (it == end.end()) continue;
    if (m.isError()) {
      if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) end.erase(it);
      continue;
    }
    if (m.offset() + 1 >= it->second) end.erase(it);
    if (m.timestampMs() > replay_.until) continue;
    auto project = m.header(header::kProject);
    auto id = m.header(header::kId);
    auto type = m.header(header::kType);
    if (!project || *project != replay_.project || !id || !type || !endpointWants(*ep, *type) ||
        !dialectWants(ep->dialect, *type)) {
      continue;
    }
    // Not an event: the live consumer reported it as a poison record; a replay skips it too, never
    // sending a receiver what it cannot read.
    if (!eventBodyProblem(m.value()).empty()) continue;
    WebhookDelivery d;
    d.endpoint_id = ep->id;
    d.project = replay_.project;
    d.event_id = std::string(*id);
    d.event_type = std::string(*type);
    if (auto tp = m.header(header::kTraceparent)) d.traceparent = std::string(*tp);
    if (auto batch = m.header(header::kBatchId)) d.batch_id = std::string(*batch);
    d.body = bodyForDialect(ep->dialect, d.event_id, d.event_type, m.value());  // as first delivered
    d.attempt = 1;
    d.due_at = now;
    d.event_at = m.timestampMs();
    if (d.event_type == event_type::kBatchCompleted) {
      last.push_back(std::move(d));
      continue;
    }
    if (!write(producer_, topics_, d, acks)) {
      ok = false;
      break;
    }
    ++replayed;
  }
  bool acked = acks.waitAll();
  for (size_t i = 0; ok && acked && !stop_.load() && i < last.size(); ++i) {
    if (!write(producer_, topics_, last[i], acks)) ok = false; else ++replayed;
  }
  acked = acks.waitAll() && acked;
  log::info("replay scanned", {{"replay_id", replay_.replay_id}, {"endpoint_id", ep->id},
                               {"deliveries", std::to_string(replayed)}});
  return ok && acked && !stop_.load();
}

}  // namespace batchrun::webhook
