#pragma once
// Reads records back from Kafka by position. Ingest's read view keeps only where each run's record
// sits (topic, partition, offset) and fetches the bytes when a run is served: holding every run's
// ≈1 KB record made the view grow with every run ever accepted, and its fresh pages cost ingest
// ≈ 10-17 % of its CPU at high rates (docs/performance.md "Ingest").
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct RecordRef {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  bool operator==(const RecordRef&) const = default;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The value of each referenced record, in the order asked. nullopt for a record that no longer
  // exists at that offset (removed by retention or compaction: the read found a later offset, or
  // the partition's log now starts after it). An error (retryable) when Kafka did not answer
  // within the reader's deadline, or an offset lies at or past its partition's end (a new
  // leader's high watermark can lag, so it is not taken as missing); nothing partial is returned.
  virtual Result<std::vector<std::optional<std::string>>> read(const std::vector<RecordRef>& refs) = 0;
  // The values when every record is at hand without asking Kafka (cached); else nullopt. Lets a
  // caller answer at once and hand only reads that must fetch to a thread that may wait.
  virtual std::optional<std::vector<std::string>> readCached(const std::vector<RecordRef>& refs) {
    (void)refs;
    return std::nullopt;
  }
};

// The Kafka implementation: a small pool of assign-only consumers (no group membership, no
// commits), each used by one read at a time; concurrent reads beyond the pool wait for one. Records
// read are cached by position (RecordCache).
class KafkaRecordReader final : public RecordReader {
 public:
  struct Options {
    int pool_size = 2;
    std::chrono::milliseconds timeout{5000};
    // Asked before a read that needs Kafka: false answers at once (unavailable) instead of holding
    // the caller — an HTTP thread — for the whole deadline while the cluster is unreachable.
    std::function<bool()> reachable;
    size_t cache_bytes = size_t{32} << 20;
  };
  static Result<std::unique_ptr<KafkaRecordReader>> create(const KafkaSettings& settings, Options options);
  ~KafkaRecordReader() override;
  KafkaRecordReader(const KafkaRecordReader&) = delete;
  KafkaRecordReader& operator=(const KafkaRecordReader&) = delete;

  Result<std::vector<std::optional<std::string>>> read(const std::vector<RecordRef>& refs) override;
  std::optional<std::vector<std::string>> readCached(const std::vector<RecordRef>& refs) override;

 private:
  struct Pool;
  explicit KafkaRecordReader(std::unique_ptr<Pool> pool);
  std::unique_ptr<Pool> pool_;
};

}  // namespace batchrun
