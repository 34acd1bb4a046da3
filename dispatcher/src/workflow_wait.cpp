// Runs whose workflow the registry does not know when they are about to start. A registration and
// the runs submitted right after it travel on different topics, so the runs can be read first.
// Such a run gives its slot back and waits, without holding up any other run, until either
//   - its workflow appears in the registry → it is queued again like any waiting run, or
//   - the registry has caught up with everything the workflows topic held when the run started
//     waiting (so a registration made before the run was submitted has been seen) AND
//     workflow_grace_ms has passed → it fails with no_endpoint, as before.
// It keeps counting against its partition's read-ahead and its lane offset stays uncommitted.
#include "batchrun/common/logging.hpp"
#include "batchrun/dispatcher/dispatcher.hpp"

namespace batchrun::dispatcher {

namespace {
// How often waiting runs are looked at when nothing else prompts it (their grace ending).
constexpr int64_t kSweepMs = 100;
}  // namespace

void Dispatcher::awaitWorkflow(Entry& e) {
  releaseSlot(e);  // startRun took one
  e.phase = Phase::kAwaitingWorkflow;
  e.workflow_grace_until = clock_.nowMs() + config_.workflow_grace_ms;
  e.workflow_sync = ++workflow_syncs_requested_;
  ++buffered_[{e.lane, e.run.partition}];
  awaiting_workflow_.insert(e.run.run_id);
  metrics_.awaitingWorkflow().set(static_cast<double>(awaiting_workflow_.size()));
  uint64_t ticket = e.workflow_sync;
  workflows_.whenCurrent([this, ticket] {
    post([this, ticket] {
      // Catch-ups complete in the order they were asked for: one done means every earlier one is.
      workflow_syncs_done_ = std::max(workflow_syncs_done_, ticket);
      settleAwaitingWorkflow();
    });
  });
  if (log::debugEnabled()) {
    log::debug("run waits for its workflow", {{"run_id", e.run.run_id}, {"workflow_id", e.run.workflow_id}});
  }
}

void Dispatcher::leaveAwaitingWorkflow(Entry& e) {
  awaiting_workflow_.erase(e.run.run_id);
  metrics_.awaitingWorkflow().set(static_cast<double>(awaiting_workflow_.size()));
  --buffered_[{e.lane, e.run.partition}];
  e.phase = Phase::kWaiting;
}

bool Dispatcher::pollAwaitingWorkflow() {
  if (awaiting_workflow_.empty()) return false;
  int64_t now = clock_.nowMs();
  uint64_t version = workflows_.version();
  if (version == awaiting_seen_version_ && now < awaiting_next_sweep_ms_) return false;
  settleAwaitingWorkflow();
  return true;
}

void Dispatcher::settleAwaitingWorkflow() {
  int64_t now = clock_.nowMs();
  awaiting_seen_version_ = workflows_.version();
  awaiting_next_sweep_ms_ = now + kSweepMs;
  std::vector<std::string> ids(awaiting_workflow_.begin(), awaiting_workflow_.end());
  for (const auto& id : ids) {
    auto it = runs_.find(id);
    if (it == runs_.end() || it->second.phase != Phase::kAwaitingWorkflow) {  // handed over or finished
      awaiting_workflow_.erase(id);
      continue;
    }
    Entry& e = it->second;
    if (!owns(e.run.partition)) continue;  // suspended by a rebalance: decided once it is ours again
    if (workflows_.find(e.run.project, e.run.workflow_id)) {
      leaveAwaitingWorkflow(e);
      enqueue(e, true);  // counts against read-ahead again until it starts
      continue;
    }
    if (now < e.workflow_grace_until || workflow_syncs_done_ < e.workflow_sync) continue;
    e.run.error_code = "no_endpoint";
    e.run.error_message = "workflow " + e.run.workflow_id + " is not registered and the run has no destination";
    finish(e, RunStatus::kFailed);
  }
  metrics_.awaitingWorkflow().set(static_cast<double>(awaiting_workflow_.size()));
}

}  // namespace batchrun::dispatcher
