#pragma once
// The dispatcher core: one consumer group over every lane topic and runs.control (range assignor,
// per-partition queues polled in lane order), owning the runs of its partitions — dedup, limits,
// execution on workers, retries, timeouts, cancellation, async results — and recording every
// change of status as one runs.state record (at the run's partition) plus one runs.events event.
//
// Threads: everything below is touched by the dispatch loop's thread only. Worker answers (the
// HttpClient thread) and delivery reports (the producer thread) are posted to an inbox the loop
// drains, so no state needs a lock. Offsets of a lane record are stored once that run's `running`
// (or terminal) record is durable; runs waiting in memory keep theirs uncommitted.
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/control.hpp"
#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/dispatcher/config.hpp"
#include "batchrun/dispatcher/dispatcher_metrics.hpp"
#include "batchrun/dispatcher/worker/failure_callbacks.hpp"
#include "batchrun/dispatcher/state/finished_runs.hpp"
#include "batchrun/dispatcher/scheduling/limits.hpp"
#include "batchrun/dispatcher/scheduling/outcome_backpressure.hpp"
#include "batchrun/dispatcher/state/offset_tracker.hpp"
#include "batchrun/dispatcher/worker/outcome.hpp"
#include "batchrun/dispatcher/scheduling/scheduler.hpp"
#include "batchrun/dispatcher/scheduling/workflow_registry.hpp"

namespace batchrun::dispatcher {

class Dispatcher : private RebalanceListener, private DeliveryHandler {
 public:
  Dispatcher(const Config& config, Producer& producer, HttpClient& http, const WorkflowRegistry& workflows,
             FailureCallbacks& callbacks, const Clock& clock, DispatcherMetrics& metrics, PoisonRecords& poison);
  ~Dispatcher() override;

  // Joins the group and starts the loop thread.
  Status start();
  // Stops taking work, waits up to drain_timeout_ms for calls in flight, stores offsets, leaves.
  void stop();
  // Empty when every assigned partition's state is rebuilt; otherwise why not.
  std::string readiness() const;

 private:
  struct OffsetRef {
    TopicPartition tp;
    int64_t offset = -1;
  };
  // kAwaitingWorkflow: its workflow is unknown; waiting for the registration (workflow_wait.cpp).
  enum class Phase { kWaiting, kRunning, kAwaiting, kBackoff, kAwaitingWorkflow };
  // A batch that requested an existing run; its lane record stays uncommitted until the run
  // ends, so a restart reads it again and rebuilds the alias.
  struct BatchAlias {
    std::string batch_id;
    int batch_size = 0;
    int64_t created_at = 0;
    OffsetRef lane_offset;
  };
  struct Entry {
    Run run;
    Phase phase = Phase::kWaiting;
    int lane = 0;
    std::optional<OffsetRef> lane_offset;  // pending until running/terminal is durable
    RunLimits limits;
    bool holds_slot = false;
    bool resume_same_attempt = false;     // found `running` at rebuild: re-execute that attempt
    uint64_t call = 0;                    // the HTTP call in flight
    bool deadline_limited = false;        // that call's timeout is the run's deadline
    uint64_t timer = 0;                   // token of the armed timer (0: none)
    std::optional<std::pair<ControlMessage, OffsetRef>> early_result;  // result before the 202 arrived
    std::shared_ptr<const HttpResult> last_answer;  // the attempt's answer, kept only for a failure callback
    int64_t workflow_grace_until = 0;     // kAwaitingWorkflow: no_endpoint not before this
    uint64_t workflow_sync = 0;           // kAwaitingWorkflow: the registry catch-up it waits for
    // Other batches whose request named this run (two ingest instances took the same per-item
    // idempotency key at once: one run, requested by both batches). Each counts the run's end.
    std::vector<BatchAlias> aliases;
  };
  struct Call {
    std::string run_id;
    int32_t partition = 0;
    std::optional<RunLimits> orphan;  // the run was cancelled meanwhile: release this on answer
  };
  struct Timer {
    int64_t due;
    uint64_t token;
    std::string run_id;
    bool operator>(const Timer& o) const { return due > o.due; }
  };
  struct Write {
    OutMessage msg;
    std::vector<OffsetRef> done;  // offsets this record completes once durable
    int32_t owner_partition = -1; // -1: not tied to ownership (events, progress)
    std::function<void()> on_durable;  // runs on the loop once delivered
    bool outcome = false;  // an attempt's outcome: counted by backpressure_ until acknowledged or given up
  };

  // Loop and Kafka side (dispatcher.cpp).
  void loop();
  bool pollRecords();
  void onLaneRecord(int lane, const Message& m);
  void onControlRecord(const Message& m);
  // A lane record that does not decode: its run (when the record still names one) ends `failed`
  // (invalid_record), and the record goes to the dead-letter topic; its offset is released once
  // that is durable.
  void onPoisonRequest(int lane, const Message& m, const OffsetRef& ref, const std::string& reason);
  void onAssigned(const std::vector<TopicPartition>& parts) override;
  void onRevoked(const std::vector<TopicPartition>& parts) override;
  // Answers and delivery reports until every write made so far is acknowledged: true, or false when
  // one failed or the producer did not settle within a few flushes.
  bool settleWrites();
  void markHandover(const std::vector<TopicPartition>& parts);
  void rebuild();
  void adoptRebuilt(Run run);
  void dropPartition(int32_t p);
  bool owns(int32_t p) const { return owned_.count(p) && !suspended_.count(p) && !rebuilding_.count(p); }
  void post(std::function<void()> fn);
  bool drainInbox();
  void offsetDone(const OffsetRef& ref);
  void storeOffsets(bool all);
  void updateGauges();

  // Runs (execution.cpp).
  bool dispatchReady();
  void startRun(SchedItem item);
  void onAnswer(uint64_t call, HttpResult&& r);
  void applyOutcome(Entry& e, const Outcome& o);
  void applyResult(Entry& e, const ControlMessage& m, const OffsetRef& ref);
  void finish(Entry& e, RunStatus status, std::vector<OffsetRef> done = {});
  void releaseSlot(Entry& e);
  void armTimer(Entry& e, int64_t due);
  bool fireTimers();
  void cancel(const std::string& run_id, const OffsetRef& ref);
  RunLimits limitsFor(const Run& run) const;
  void enqueue(Entry& e, bool from_lane);
  int64_t deadlineOf(const Run& run) const;
  std::function<void()> failureCallbackOf(const Entry& e) const;

  // Runs whose workflow is not known yet (workflow_wait.cpp).
  void awaitWorkflow(Entry& e);
  bool pollAwaitingWorkflow();
  void settleAwaitingWorkflow();
  void leaveAwaitingWorkflow(Entry& e);

  // Records (records.cpp).
  void record(Entry& e, std::vector<OffsetRef> done, std::function<void()> on_durable = {});
  void callWorker(uint64_t call, HttpRequest req);
  void produce(Write w);
  void onDelivery(const DeliveryReport& report, void* tag) override;
  bool retryWrites();
  void outcomeSettled();

  const Config& config_;
  Topics topics_;
  std::vector<std::string> lane_topics_;  // highest priority first
  Producer& producer_;
  HttpClient& http_;
  const WorkflowRegistry& workflows_;
  FailureCallbacks& callbacks_;
  const Clock& clock_;
  DispatcherMetrics& metrics_;
  PoisonRecords& poison_;

  // Loop-thread state.
  ConcurrencyLimits limits_;
  OutcomeBackpressure backpressure_;  // no new attempt while too many outcomes wait for Kafka
  Scheduler scheduler_;
  std::unordered_map<std::string, Entry> runs_;                       // active (non-terminal) runs
  // Dedup: terminal runs per partition, with their status and a hash of their batch id (a request
  // of another batch for the run counts it there too, see BatchAlias); bounded by the run retention.
  FinishedRuns finished_;
  std::unordered_map<std::string, OffsetRef> pending_cancels_;        // cancels for runs not read yet
  std::unordered_map<uint64_t, Call> calls_;
  std::map<TopicPartition, OffsetTracker> trackers_;
  std::map<std::pair<int, int32_t>, int> buffered_;                   // (lane, partition) → waiting runs read
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::deque<std::pair<int64_t, Write>> write_retries_;
  std::vector<std::function<void()>> deferred_;                       // answers for suspended partitions
  std::set<int32_t> owned_, suspended_, rebuilding_;
  // Per owned partition: the last runs.state offset a handover marker may vouch for — the end read at
  // rebuild, then each acknowledged state write of ours (handover_marker.hpp).
  std::map<int32_t, int64_t> vouch_upto_;
  std::unordered_set<std::string> awaiting_workflow_;                 // run ids in kAwaitingWorkflow (may be stale)
  uint64_t workflow_syncs_requested_ = 0, workflow_syncs_done_ = 0;
  uint64_t awaiting_seen_version_ = 0;                                // registry version at the last settle
  int64_t awaiting_next_sweep_ms_ = 0;
  std::vector<TopicPartition> assignment_;
  uint64_t next_call_ = 0, next_timer_ = 0;
  int64_t last_gauges_ms_ = 0;
  bool assigned_once_ = false;
  bool draining_ = false;

  // Cross-thread.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> inbox_;  // guarded by mu_
  std::string readiness_ = "not started";    // guarded by mu_
  bool ready_once_ = false;                   // guarded by mu_
  std::atomic<bool> stop_{false};
  std::atomic<bool> drain_{false};

  std::unique_ptr<Consumer> consumer_;
  std::thread thread_;  // last: its loop uses everything above
};

}  // namespace batchrun::dispatcher
