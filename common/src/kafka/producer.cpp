#include "batchrun/common/kafka/producer.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>

#include "batchrun/common/logging.hpp"

namespace batchrun {

namespace {

// Travels with each message as its opaque: owns the bytes librdkafka reads in place (no copy) and
// names who to tell. One allocation per message, freed in the delivery report.
struct Pending {
  std::string key;
  std::string value;
  DeliveryHandler* handler;
  void* tag;
};

bool isRetryable(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return true;
    default:
      return false;
  }
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Brokers with a connection up in one statistics document (librdkafka STATISTICS.md: "brokers",
// each with "state" and "source"; internal and logical brokers are no connection to the cluster).
// Only the "brokers" object is parsed: the rest (every topic's partitions) is most of the document.
int brokersUpIn(const char* json, size_t len) {
  static constexpr char kKey[] = "\"brokers\":";
  const char* at = static_cast<const char*>(memmem(json, len, kKey, sizeof kKey - 1));
  if (!at) return 0;
  at += sizeof kKey - 1;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseStopWhenDoneFlag>(at, len - static_cast<size_t>(at - json));
  if (d.HasParseError() || !d.IsObject()) return 0;
  int up = 0;
  for (const auto& b : d.GetObject()) {
    const auto& v = b.value;
    if (!v.IsObject() || !v.HasMember("state") || !v["state"].IsString()) continue;
    if (v.HasMember("source") && v["source"].IsString()) {
      std::string_view source = v["source"].GetString();
      if (source == "internal" || source == "logical") continue;
    }
    if (std::string_view(v["state"].GetString()) == "UP") ++up;
  }
  return up;
}

class SyncHandler final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport& r, void*) override { promise.set_value(r); }
  std::promise<DeliveryReport> promise;
};

}  // namespace

// What the statistics callback learned; read by reachable() from any thread.
struct Producer::BrokerWatch {
  std::atomic<int> brokers_up{-1};
  std::atomic<int64_t> last_up_ms{0};
  mutable std::mutex mu;  // only for waiting on the first tick
  mutable std::condition_variable first_tick;
};

Result<rd_kafka_conf_t*> makeConf(const std::map<std::string, std::string>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::string problems;
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      problems += (problems.empty() ? "" : "; ") + std::string(err);
    }
  }
  if (!problems.empty()) {
    rd_kafka_conf_destroy(conf);
    return Error::invalid("kafka config: " + problems);
  }
  return conf;
}

Result<std::unique_ptr<Producer>> Producer::create(const KafkaSettings& settings,
                                                   const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", settings.brokers},
      {"enable.idempotence", "true"},  // implies acks=all, ordered retries without duplicates
      {"acks", "all"},
      {"linger.ms", "5"},
      {"batch.num.messages", "10000"},
      {"batch.size", "1000000"},
      {"compression.codec", "lz4"},
      {"queue.buffering.max.messages", "500000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"message.timeout.ms", std::to_string(settings.message_timeout_ms)},
      {"socket.keepalive.enable", "true"},
      // reachable() and the failover: librdkafka's statistics every second name the brokers it
      // has a connection up to; with connections kept to every broker (not only the leaders it
      // writes to) one dead broker leaves the others up, and an idle producer still has some.
      // enable.sparse.connections is a hidden property (not in CONFIGURATION.md; librdkafka's own
      // tests set it to false "to need connections to all brokers"); rd_kafka_conf_set accepts it.
      {"statistics.interval.ms", "1000"},
      {"enable.sparse.connections", "false"},
      // A broker host that drops packets (not one that refuses) is given up on after 10 s, not 30.
      {"socket.connection.setup.timeout.ms", "10000"},
      // A broker back from an outage is reconnected to within 2 s, not up to 10 s later.
      {"reconnect.backoff.max.ms", "2000"},
  };
  for (const auto& [k, v] : settings.extra) props[k] = v;
  for (const auto& [k, v] : overrides) props[k] = v;
  auto conf = makeConf(props);
  if (!conf) return conf.error();
  auto watch = std::make_unique<BrokerWatch>();
  rd_kafka_conf_set_dr_msg_cb(*conf, &Producer::onDeliveryReport);
  rd_kafka_conf_set_stats_cb(*conf, &Producer::onStats);
  rd_kafka_conf_set_opaque(*conf, watch.get());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return Error::invalid(std::string("kafka producer: ") + err);
  }
  return std::unique_ptr<Producer>(new Producer(rk, std::move(watch)));
}

Producer::Producer(rd_kafka_t* rk, std::unique_ptr<BrokerWatch> watch)
    : rk_(rk), watch_(std::move(watch)), poller_([this] { pollLoop(); }) {}

Producer::~Producer() {
  stop_ = true;
  poller_.join();
  int left = flush(10000);
  if (left > 0) log::error("producer closed with undelivered messages", {{"count", std::to_string(left)}});
  rd_kafka_destroy(rk_);
}

void Producer::pollLoop() {
  while (!stop_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_, 100);
}

int Producer::onStats(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* watch = static_cast<BrokerWatch*>(opaque);
  const int up = brokersUpIn(json, json_len);
  if (up > 0) watch->last_up_ms.store(steadyMs());
  {
    std::lock_guard lock(watch->mu);  // a waiter in reachable() must not miss the first tick
    watch->brokers_up.store(up);
  }
  watch->first_tick.notify_all();
  return 0;  // librdkafka frees the document
}

void Producer::onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void*) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(msg->_private));
  DeliveryReport r;
  r.ok = msg->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  r.partition = msg->partition;
  r.offset = msg->offset;
  if (!r.ok) {
    r.error = rd_kafka_err2str(msg->err);
    char fatal_reason[256];
    r.fatal = rd_kafka_fatal_error(rk, fatal_reason, sizeof fatal_reason) != RD_KAFKA_RESP_ERR_NO_ERROR;
    r.retryable = !r.fatal && isRetryable(msg->err);
  }
  if (pending && pending->handler) {
    r.value = &pending->value;
    try {
      pending->handler->onDelivery(r, pending->tag);
    } catch (const std::exception& e) {
      // Never let an exception unwind through librdkafka.
      log::error("delivery handler threw", {{"error", e.what()}});
    }
  }
}

Status Producer::produce(OutMessage&& msg, DeliveryHandler* handler, void* tag) {
  auto pending = std::make_unique<Pending>(Pending{std::move(msg.key), std::move(msg.value), handler, tag});
  rd_kafka_headers_t* hdrs = nullptr;
  if (!msg.headers.empty()) {
    hdrs = rd_kafka_headers_new(msg.headers.size());
    for (const auto& [k, v] : msg.headers) rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(), static_cast<ssize_t>(v.size()));
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(msg.topic.c_str()), RD_KAFKA_V_PARTITION(msg.partition),
      RD_KAFKA_V_KEY(pending->key.data(), pending->key.size()),
      // An empty value goes out as null: a real tombstone, which compaction eventually removes.
      RD_KAFKA_V_VALUE(pending->value.empty() ? nullptr : pending->value.data(), pending->value.size()),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(pending.get()), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (hdrs) rd_kafka_headers_destroy(hdrs);  // only owned by librdkafka on success
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return Error::exhausted("kafka producer queue is full");
    if (err == RD_KAFKA_RESP_ERR__FATAL) return Error::unavailable("kafka producer is fenced (fatal error)");
    return Error{ErrorCode::kUnavailable, std::string("produce: ") + rd_kafka_err2str(err), isRetryable(err)};
  }
  pending.release();  // freed in onDeliveryReport
  return {};
}

Result<DeliveryReport> Producer::produceSync(OutMessage&& msg, int timeout_ms) {
  SyncHandler h;
  auto fut = h.promise.get_future();
  if (auto st = produce(std::move(msg), &h, nullptr); !st) return st.error();
  // The report always comes (message.timeout.ms bounds it); wait past timeout_ms only for that.
  if (fut.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) fut.wait();
  return fut.get();
}

int Producer::flush(int timeout_ms) {
  rd_kafka_flush(rk_, timeout_ms);
  return rd_kafka_outq_len(rk_);
}

int Producer::outstanding() const { return rd_kafka_outq_len(rk_); }

bool Producer::probeMetadata(int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, nullptr, &md, timeout_ms);
  if (md) rd_kafka_metadata_destroy(md);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  {
    std::lock_guard lock(watch_->mu);
    watch_->last_up_ms.store(steadyMs());
  }
  watch_->first_tick.notify_all();
  return true;
}

bool Producer::reachable(int startup_wait_ms) const {
  auto known = [this] { return watch_->brokers_up.load() >= 0 || watch_->last_up_ms.load() > 0; };
  if (startup_wait_ms > 0 && !known()) {
    std::unique_lock lock(watch_->mu);
    watch_->first_tick.wait_for(lock, std::chrono::milliseconds(startup_wait_ms), known);
  }
  const int64_t last = watch_->last_up_ms.load();
  return last > 0 && steadyMs() - last <= kUnreachableAfterMs;
}

int Producer::brokersUp() const { return watch_->brokers_up.load(); }

int64_t Producer::lastBrokerUpMs() const { return watch_->last_up_ms.load(); }

}  // namespace batchrun
