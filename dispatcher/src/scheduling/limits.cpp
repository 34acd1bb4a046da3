#include "batchrun/dispatcher/scheduling/limits.hpp"

namespace batchrun::dispatcher {

namespace {
int countOf(const std::unordered_map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}
void decrement(std::unordered_map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return;
  // Erase at zero so the maps hold only keys with work in flight (bounded by the global cap).
  if (--it->second <= 0) m.erase(it);
}
}  // namespace

Block ConcurrencyLimits::check(const RunLimits& l) const {
  if (globalFull()) return Block::kGlobal;
  if (l.workflow_limit > 0 && countOf(workflows_, l.workflow_key) >= l.workflow_limit) return Block::kWorkflow;
  if (l.queue_limit > 0 && countOf(queues_, l.queue_key) >= l.queue_limit) return Block::kQueue;
  return Block::kNone;
}

void ConcurrencyLimits::acquire(const RunLimits& l) {
  ++inflight_;
  if (l.workflow_limit > 0) ++workflows_[l.workflow_key];
  if (l.queue_limit > 0) ++queues_[l.queue_key];
}

void ConcurrencyLimits::release(const RunLimits& l) {
  --inflight_;
  if (l.workflow_limit > 0) decrement(workflows_, l.workflow_key);
  if (l.queue_limit > 0) decrement(queues_, l.queue_key);
}

int ConcurrencyLimits::inflightWorkflow(const std::string& key) const { return countOf(workflows_, key); }
int ConcurrencyLimits::inflightQueue(const std::string& key) const { return countOf(queues_, key); }

}  // namespace batchrun::dispatcher
