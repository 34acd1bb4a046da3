#pragma once
// Idempotent Kafka producer (acks=all, enable.idempotence) with a delivery result handed back per
// message. Owns a thread that serves delivery reports continuously. Thread-safe: produce() may be
// called from any thread; handlers run on the producer's poll thread and must not block.
// It also knows, without asking the cluster, whether Kafka is reachable: librdkafka's statistics
// (every second) say which brokers it has a connection up to (reachable()).
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct DeliveryReport {
  bool ok = false;
  std::string error;       // empty when ok
  bool retryable = false;  // the caller may try the same record again
  bool fatal = false;      // the producer instance is unusable (idempotence fenced)
  int32_t partition = -1;
  int64_t offset = -1;
  // The record's value, owned by the producer until onDelivery returns: a handler that keeps the
  // bytes (ingest's read view) may move them out instead of copying.
  std::string* value = nullptr;
};

// Receives one report per produced message. `tag` is whatever the caller passed to produce().
class DeliveryHandler {
 public:
  virtual ~DeliveryHandler() = default;
  virtual void onDelivery(const DeliveryReport& report, void* tag) = 0;
};

struct OutMessage {
  std::string topic;
  std::string key;
  std::string value;                                        // moved in; librdkafka reads it in place
  std::vector<std::pair<std::string, std::string>> headers;
  int32_t partition = RD_KAFKA_PARTITION_UA;                // UA: librdkafka's partitioner picks by key
};

class Producer {
 public:
  // Extra librdkafka properties override the defaults (e.g. linger.ms for benchmarks).
  static Result<std::unique_ptr<Producer>> create(const KafkaSettings& settings,
                                                  const std::map<std::string, std::string>& overrides = {});
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues one message. On success exactly one onDelivery() follows. Errors: kResourceExhausted
  // when the local queue is full (back off and retry), kUnavailable when the producer is fenced.
  Status produce(OutMessage&& msg, DeliveryHandler* handler, void* tag);
  // Blocks until delivered or failed; for low-rate control records (registrations, cancels).
  Result<DeliveryReport> produceSync(OutMessage&& msg, int timeout_ms = 30000);
  // Waits up to timeout_ms for every outstanding message; returns how many are still undelivered.
  int flush(int timeout_ms);
  int outstanding() const;
  // Whether Kafka is reachable, from librdkafka's own view of its broker connections: true while
  // some statistics tick within the last kUnreachableAfterMs saw a connection up. Answers from
  // memory, never by a request: a metadata request would queue behind writes stalled on a dying
  // broker's partitions (a broker serves one connection's requests in order) and time out although
  // the other brokers are up. Only before the first tick (the producer's first second) it waits for
  // it, up to startup_wait_ms; false if none came.
  bool reachable(int startup_wait_ms = 0) const;
  // Asks the cluster for metadata (blocking, up to timeout_ms) and counts an answer as a live
  // broker, so a service starting against a live cluster need not wait for the first tick. For
  // start-up only: later such a request can queue behind stalled writes (see reachable()).
  bool probeMetadata(int timeout_ms);
  // Brokers librdkafka had a connection up to at the last tick; -1 before the first.
  int brokersUp() const;
  // Steady-clock milliseconds of the last tick that saw a broker up; 0 before any did.
  int64_t lastBrokerUpMs() const;
  rd_kafka_t* handle() { return rk_; }

  // How long every broker connection must have been down before reachable() says false: a few
  // statistics ticks, so one tick taken while connections are being re-established (librdkafka
  // reconnects within reconnect.backoff.ms) does not count as an outage.
  static constexpr int64_t kUnreachableAfterMs = 3000;

 private:
  struct BrokerWatch;
  Producer(rd_kafka_t* rk, std::unique_ptr<BrokerWatch> watch);
  static void onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static int onStats(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  void pollLoop();

  rd_kafka_t* rk_;
  std::unique_ptr<BrokerWatch> watch_;  // the stats callback's opaque: lives as long as rk_
  std::atomic<bool> stop_{false};
  std::thread poller_;  // last: its loop uses rk_
};

// librdkafka config helper: sets every key, returning all failures at once.
Result<rd_kafka_conf_t*> makeConf(const std::map<std::string, std::string>& props);

}  // namespace batchrun
