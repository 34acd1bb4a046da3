#pragma once
// Chooses the next run to start among the runs waiting in memory.
//  - Lanes: the highest-priority lane with startable work goes first, but every other lane with
//    startable work earns credit each time it is passed over, so it still gets at least
//    `min_lower_share` of the start slots (the starvation guard).
//  - Inside a lane: round-robin over fairness keys (project + concurrency key), one run per key
//    per turn, so a tenant's 100,000-run batch cannot hold back another tenant's 10 runs.
//  - Limits: a key whose head run is over its workflow or queue limit is parked until a run
//    holding that limit finishes (onReleased), so blocked keys cost nothing and never block
//    other keys. The global cap stops everything until a release.
// Not thread-safe: the dispatch loop owns it.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "batchrun/dispatcher/scheduling/limits.hpp"

namespace batchrun::dispatcher {

struct SchedItem {
  std::string run_id;
  int lane = 0;              // index into the lane list, 0 = highest priority
  int32_t partition = 0;
  std::string fair_key;      // project + '/' + concurrency_key
  RunLimits limits;
  bool from_lane = true;     // read from a lane topic (counts against read-ahead) vs resumed/retried
};

class Scheduler {
 public:
  Scheduler(int lanes, double min_lower_share);

  void push(SchedItem item);
  // The next startable run; its limits are acquired in `limits` before it is returned.
  std::optional<SchedItem> next(ConcurrencyLimits& limits);
  // A run holding these limits finished: keys parked on them may start again.
  void onReleased(const RunLimits& l);
  // Removes a waiting run (cancel); returns it if it was waiting.
  std::optional<SchedItem> remove(const std::string& run_id);
  // Removes every waiting run matching pred (partitions revoked); returns them.
  std::vector<SchedItem> removeIf(const std::function<bool(const SchedItem&)>& pred);

  size_t waiting() const { return index_.size(); }
  size_t waiting(int lane) const { return lanes_[lane].count; }
  bool contains(const std::string& run_id) const { return index_.count(run_id) != 0; }

 private:
  struct KeyQueue {
    std::deque<SchedItem> runs;
    bool parked = false;
    bool in_ready = false;  // listed in LaneState::ready (at most once)
  };
  struct LaneState {
    std::unordered_map<std::string, KeyQueue> keys;
    std::deque<std::string> ready;  // round-robin order of unparked keys with runs
    size_t count = 0;
    double credit = 0;
  };

  std::optional<SchedItem> takeFromLane(int lane, ConcurrencyLimits& limits);
  void park(int lane, const std::string& key, const std::string& limit_id);

  std::vector<LaneState> lanes_;
  double accrual_;  // credit per pass-over, so a waiting lane's share converges to min_lower_share
  std::unordered_map<std::string, std::pair<int, std::string>> index_;  // run_id → (lane, key)
  std::unordered_map<std::string, std::vector<std::pair<int, std::string>>> parked_;  // limit id → keys
};

}  // namespace batchrun::dispatcher
