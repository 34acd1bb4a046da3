#pragma once
// Concurrency accounting for one dispatcher: a global in-flight cap, per-workflow limits and
// per-queue limits applied to each concurrency key separately (Polos semantics). Only the owner of
// a run's partition counts it, so every decision is local. Not thread-safe (the dispatch loop owns it).
#include <string>
#include <unordered_map>

namespace batchrun::dispatcher {

// What a run counts against. Empty keys / zero limits mean "no such limit".
struct RunLimits {
  std::string workflow_key;  // project/workflow_id
  int workflow_limit = 0;
  std::string queue_key;     // project/queue/concurrency_key
  int queue_limit = 0;
};

enum class Block { kNone, kGlobal, kWorkflow, kQueue };

class ConcurrencyLimits {
 public:
  explicit ConcurrencyLimits(int max_inflight) : max_inflight_(max_inflight) {}
  // Which limit (if any) a new run with these limits would exceed.
  Block check(const RunLimits& l) const;
  void acquire(const RunLimits& l);
  void release(const RunLimits& l);

  bool globalFull() const { return max_inflight_ > 0 && inflight_ >= max_inflight_; }
  int inflight() const { return inflight_; }
  int inflightWorkflow(const std::string& key) const;
  int inflightQueue(const std::string& key) const;
  size_t activeQueueKeys() const { return queues_.size(); }

 private:
  int max_inflight_;
  int inflight_ = 0;
  std::unordered_map<std::string, int> workflows_;  // only keys with runs in flight
  std::unordered_map<std::string, int> queues_;
};

}  // namespace batchrun::dispatcher
