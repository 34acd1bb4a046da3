#pragma once
// The lane records this ingest instance has produced and its read view has not yet read back.
// The view indexes its own runs from the delivery reports (read-your-writes), so when the follower
// reads one of them back it only needs to know "mine": found here by the run id at the start of the
// record, without parsing the record's headers or copying its bytes. Following its own writes was
// ~15 % of ingest's CPU at full rate (docs/performance.md "Ingest").
//
// Entries the follower never reads (a record whose produce failed) must not pile up, so the set has
// two generations swapped every `generation_ms`, or sooner once one holds `generation_max` ids (a
// follower that fell behind must not make this grow with the write rate): an entry lives one to two
// generations. A record read back later than that takes the ordinary path (headers, then "already
// held"), so the cost of forgetting is a little CPU, never a wrong view.
#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_set>
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
  // For a record read back from a lane topic: true (and forgotten) if this instance produced it.
  bool take(std::string_view record, int64_t now_ms);
  size_t size() const;

  // The run id of a lane record (encodeRun writes it first); false if the record does not start so.
  static bool runIdOf(std::string_view record, Uuid& out);

 private:
  struct UuidHash {
    size_t operator()(const Uuid& u) const {
      uint64_t tail;  // the random half of a UUIDv7 (and of a v5 hash)
      std::memcpy(&tail, u.data() + 8, sizeof tail);
      return static_cast<size_t>(tail);
    }
  };
  using Set = std::unordered_set<Uuid, UuidHash>;
  void rotateLocked(int64_t now_ms);

  const int64_t generation_ms_;
  const size_t generation_max_;
  mutable std::mutex mu_;
  Set current_, previous_;
  int64_t generation_started_ms_ = -1;
};

}  // namespace batchrun::ingest
