#pragma once
// Poison records: a record a service cannot decode or apply must never crash or stall its consumer.
// PoisonRecords is the one way every consumer handles one: it counts it
// (`batchrun_<service>_poison_records_total{topic}`), logs it once (topic, partition, offset,
// reason), and copies it to the deployment's dead-letter topic (`<prefix>dead-letter`) with its
// key, value and headers plus `batchrun-dlq-*` headers saying where it came from, who refused it
// and why. The caller then skips it (commits past it / goes on with the next record).
// One per process, shared by all its consumers; thread-safe. The producer must outlive it, or be
// detached (detachProducer) before it goes while a consumer may still report.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/metrics.hpp"

namespace batchrun {

namespace dead_letter_header {
inline constexpr const char* kTopic = "batchrun-dlq-topic";
inline constexpr const char* kPartition = "batchrun-dlq-partition";
inline constexpr const char* kOffset = "batchrun-dlq-offset";
inline constexpr const char* kService = "batchrun-dlq-service";
inline constexpr const char* kReason = "batchrun-dlq-reason";
}  // namespace dead_letter_header

class PoisonRecords {
 public:
  // `service` names the metric (batchrun_<service>_poison_records_total) and the copy's service
  // header; `producer` may be null (counted and logged, not copied: tests of a component alone).
  PoisonRecords(std::string service, std::string dead_letter_topic, Producer* producer, MetricsRegistry& metrics);

  // Counts and logs the record and returns its dead-letter copy, for a caller that produces it
  // itself (the dispatcher releases the record's offset once the copy is durable). nullopt when
  // this process has reported the record already (a follower re-reading a compacted topic).
  std::optional<OutMessage> take(const Message& m, std::string_view reason);
  // take(), then produces the copy (best effort: the producer retries it until its message
  // timeout; the source record stays on its own topic for its retention anyway).
  void report(const Message& m, std::string_view reason);
  // A follower handler that never throws: `apply` answers an empty string when it took the record,
  // else why it refused it; a refusal or an exception reports the record.
  std::function<void(const Message&)> guard(std::function<std::string(const Message&)> apply);

  // From now on records are counted and logged, not copied: the owner is about to destroy the
  // producer while some follower may still be running.
  void detachProducer();

  double total() const;  // every poison record counted, all topics (tests)

 private:
  const std::string service_;
  const std::string topic_;
  Producer* producer_;  // guarded by mu_ (detachProducer)
  MetricsRegistry& metrics_;
  mutable std::mutex mu_;
  std::unordered_set<std::string> seen_;  // topic/partition/offset reported; bounded (cleared when full)
  double total_ = 0;
};

// poison->guard(apply) when there is a PoisonRecords; without one (a component run alone, as in some
// tests) the same never-throwing wrapper, a refused record only logged.
std::function<void(const Message&)> guardRecords(PoisonRecords* poison, std::function<std::string(const Message&)> apply);

// Builds the dead-letter copy of `m` (key, value and headers kept; the batchrun-dlq-* headers added).
OutMessage deadLetterCopy(const Message& m, const std::string& dead_letter_topic, std::string_view service,
                          std::string_view reason);

}  // namespace batchrun
