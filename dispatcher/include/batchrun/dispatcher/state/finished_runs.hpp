#pragma once
// FinishedRuns: the runs a dispatcher has seen end, per partition, so a request read again for a
// run that already ended (a re-read after a rebalance, the same run id requested twice) does not run
// it again. Bounded by time: entries live in two generations that rotate every half of `window_ms`,
// so a live dispatcher remembers a run for between half the window and the whole window after it
// ended (and a rebuilt partition remembers every ended run still in runs.state, which keeps them
// for the run retention). Before, the set grew with every run the dispatcher ever finished.
// Not thread-safe: the dispatcher's loop thread owns it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "batchrun/common/records/run.hpp"

namespace batchrun::dispatcher {

class FinishedRuns {
 public:
  struct Finished {
    RunStatus status = RunStatus::kCompleted;
    size_t batch_hash = 0;  // std::hash of its batch id: another batch's request counts it there too
  };

  explicit FinishedRuns(int64_t window_ms) : window_ms_(window_ms) {}

  // Rotates the generations when half the window has passed since the last rotation.
  void tick(int64_t now_ms);
  void add(int32_t partition, const std::string& run_id, Finished f);
  const Finished* find(int32_t partition, const std::string& run_id) const;
  void dropPartition(int32_t partition);
  size_t size() const;

 private:
  using Generation = std::unordered_map<std::string, Finished>;
  struct Partition {
    Generation current, previous;
  };
  int64_t window_ms_;
  int64_t rotated_at_ = -1;
  std::unordered_map<int32_t, Partition> partitions_;
};

}  // namespace batchrun::dispatcher
