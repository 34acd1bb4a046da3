#pragma once
// The lane records this ingest instance has produced and its read view has not yet read back.
// The view indexes its own runs from the delivery reports (read-your-writes), so when the follower
// reads one of them back it only needs to know "mine": found here by the run id at the start of the
// record, without parsing the record's headers or copying its bytes. Following its own writes was
// ~15 % of ingest's CPU at full rate (docs/performance.md "Ingest").
//
// A request's UUIDv7 run ids are consecutive (uuidv7Next), so it is held as one range of ids with a
// count of records not read back yet — a lookup in a small ordered map, instead of a hash-set entry
// per run (whose inserts and erases were ≈ 5 % of ingest's CPU). Ids derived from idempotency keys
// are ranges of one.
//
// Ranges the follower never finishes (a record whose produce failed) must not pile up, so ranges
// belong to one of two generations swapped every `generation_ms`, or sooner once one holds
// `generation_max` ids (a follower that fell behind must not make this grow with the write rate):
// a range lives one to two generations. A record read back later than that takes the ordinary path
// (headers, then "already held"), so the cost of forgetting is a little CPU, never a wrong view.
#include <cstdint>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/run.hpp"

namespace batchrun::ingest {

class OwnRecords {
 public:
  explicit OwnRecords(int64_t generation_ms = 60'000, size_t generation_max = size_t{1} << 20)
      : generation_ms_(generation_ms), generation_max_(generation_max) {}

  // Before producing them: the runs whose lane records are about to be written.
  void expect(const std::vector<Run>& runs, int64_t now_ms);
  // For a record read back from a lane topic: true if this instance produced it (a record read
  // twice, by a restarted follower, may be answered true again while its request is remembered).
  bool take(std::string_view record, int64_t now_ms);
  // Ids expected and not read back yet.
  size_t size() const;

  // The run id of a lane record (encodeRun writes it first); false if the record does not start so.
  static bool runIdOf(std::string_view record, Uuid& out);

 private:
  using Id = std::pair<uint64_t, uint64_t>;  // a UUID as two big-endian words: compares as its bytes
  static Id idOf(const Uuid& u);
  struct Range {
    Id last;
    uint32_t left = 0;       // records of the range not read back yet
    uint64_t generation = 0;
  };
  void rotateLocked(int64_t now_ms);
  void addLocked(const Id& first, const Id& last, uint32_t count);

  const int64_t generation_ms_;
  const size_t generation_max_;
  mutable std::mutex mu_;
  std::map<Id, Range> ranges_;  // by first id; ranges never overlap
  uint64_t generation_ = 0;
  size_t in_generation_ = 0;    // ids expected in the current generation
  size_t left_ = 0;             // sum of the ranges' `left`
  int64_t generation_started_ms_ = -1;
};

}  // namespace batchrun::ingest
