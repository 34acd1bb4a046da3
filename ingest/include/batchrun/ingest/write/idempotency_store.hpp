#pragma once
// The Idempotency-Key window. Every ingest instance follows the compacted `idempotency` topic
// (key "project/key") into this map, so a retry is recognised on any instance and after a restart;
// Kafka is the only store. Per key it keeps the request's fingerprint (sha256 of route + body), its
// batch id, created_at and whether every item was acknowledged:
//   - written `complete = false` together with the items, and `complete = true` once all of them
//     were acknowledged, so a retry after a partial failure produces the items again (same ids;
//     the dispatcher drops duplicates) while a retry after success produces nothing;
//   - claim()/release() mark a key in flight on this instance, so two concurrent requests with one
//     key never both produce.
// Entries older than the window are ignored and swept. Thread-safe (one mutex, per request, never
// per item).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun::ingest {

struct IdempotencyRecord {
  std::string fingerprint;   // hex sha256
  std::string batch_id;      // empty for a single run
  int64_t created_at = 0;    // unix ms: the answer's created_at, reused by every retry
  int runs = 0;
  bool complete = false;     // every item acknowledged
  // Items not produced because their own idempotency_key named an existing run (item_dedup.hpp):
  // a retry produces exactly the same set again, so the batch's size never changes between attempts.
  std::vector<int> deduplicated;
};

std::string encodeIdempotencyRecord(const IdempotencyRecord& r);
Result<IdempotencyRecord> decodeIdempotencyRecord(std::string_view json);

class IdempotencyStore {
 public:
  IdempotencyStore(int64_t window_ms, const Clock& clock) : window_ms_(window_ms), clock_(clock) {}

  // A record read from the topic (value empty = tombstone) or written by this instance. Empty when
  // taken (or outside the window), else why it does not decode.
  std::string apply(std::string_view key, std::string_view value);
  void put(const std::string& key, const IdempotencyRecord& record);
  // The record of a key still inside the window.
  std::optional<IdempotencyRecord> find(const std::string& key) const;

  bool claim(const std::string& key);
  void release(const std::string& key);
  size_t size() const;

 private:
  void mergeLocked(const std::string& key, IdempotencyRecord record);
  void sweepLocked(int64_t now);

  const int64_t window_ms_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, IdempotencyRecord> records_;
  std::unordered_set<std::string> in_flight_;
  size_t writes_since_sweep_ = 0;
};

}  // namespace batchrun::ingest
