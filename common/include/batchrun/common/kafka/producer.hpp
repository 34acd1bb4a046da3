#pragma once
// Idempotent Kafka producer (acks=all, enable.idempotence) with a delivery result handed back per
// message. Owns a thread that serves delivery reports continuously. Thread-safe: produce() may be
// called from any thread; handlers run on the producer's poll thread and must not block.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
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
  // Whether the cluster answered a metadata request within timeout_ms.
  bool reachable(int timeout_ms) const;
  rd_kafka_t* handle() { return rk_; }

 private:
  explicit Producer(rd_kafka_t* rk);
  static void onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  void pollLoop();

  rd_kafka_t* rk_;
  std::atomic<bool> stop_{false};
  std::thread poller_;  // last: its loop uses rk_
};

// librdkafka config helper: sets every key, returning all failures at once.
Result<rd_kafka_conf_t*> makeConf(const std::map<std::string, std::string>& props);

}  // namespace batchrun
