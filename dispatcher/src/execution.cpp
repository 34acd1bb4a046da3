// A run's life inside its owner: waiting for a slot, one attempt on the worker, the outcome
// (completed / async / failed / retry with backoff), timeouts, cancellation and async results.
#include <random>

#include "batchrun/common/logging.hpp"
#include "batchrun/dispatcher/batches/batch_progress.hpp"
#include "batchrun/dispatcher/dispatcher.hpp"
#include "batchrun/dispatcher/worker/worker_request.hpp"

namespace batchrun::dispatcher {

int64_t Dispatcher::deadlineOf(const Run& run) const {
  return run.started_at + static_cast<int64_t>(run.timeout_seconds) * 1000;
}

RunLimits Dispatcher::limitsFor(const Run& run) const {
  RunLimits l;
  auto wf = workflows_.find(run.project, run.workflow_id);
  l.workflow_key = run.project + "/" + run.workflow_id;
  l.workflow_limit = wf ? wf->concurrency_limit : 0;
  // Polos semantics: a queue's limit applies to each concurrency key separately.
  l.queue_limit = run.queue_limit;
  if (l.queue_limit <= 0 && wf && !run.queue.empty()) {
    auto q = wf->queues.find(run.queue);
    if (q != wf->queues.end()) l.queue_limit = q->second;
  }
  l.queue_key = run.project + "/" + run.queue + "/" + run.concurrency_key;
  return l;
}

void Dispatcher::enqueue(Entry& e, bool from_lane) {
  e.phase = Phase::kWaiting;
  SchedItem item;
  item.run_id = e.run.run_id;
  item.lane = e.lane;
  item.partition = e.run.partition;
  item.fair_key = e.run.project + "/" + e.run.concurrency_key;
  item.limits = limitsFor(e.run);
  item.from_lane = from_lane;
  if (from_lane) ++buffered_[{e.lane, e.run.partition}];
  scheduler_.push(std::move(item));
}

bool Dispatcher::dispatchReady() {
  bool any = false;
  // Backpressure: a delivery report that brings the count under the cap wakes the loop (post).
  while (!backpressure_.paused()) {
    auto item = scheduler_.next(limits_);
    if (!item) break;
    any = true;
    startRun(std::move(*item));
  }
  return any;
}

void Dispatcher::startRun(SchedItem item) {
  if (item.from_lane) --buffered_[{item.lane, item.partition}];
  auto it = runs_.find(item.run_id);
  if (it == runs_.end()) {  // cannot happen: removal from runs_ also removes from the scheduler
    limits_.release(item.limits);
    scheduler_.onReleased(item.limits);
    return;
  }
  Entry& e = it->second;
  e.limits = item.limits;
  e.holds_slot = true;
  metrics_.workflowInflight(e.limits.workflow_key).add(1);
  Run& run = e.run;
  int64_t now = clock_.nowMs();
  std::string url = run.destination;
  if (url.empty()) {
    auto wf = workflows_.find(run.project, run.workflow_id);
    if (!wf) {  // perhaps registered just before the run and not read yet: wait for it
      awaitWorkflow(e);
      return;
    }
    url = wf->endpoint;
  }
  if (url.empty()) {
    run.error_code = "no_endpoint";
    run.error_message = "workflow " + run.workflow_id + " has no registered endpoint and the run has no destination";
    finish(e, RunStatus::kFailed);
    return;
  }
  if (run.started_at == 0) run.started_at = now;
  int64_t deadline = deadlineOf(run);
  if (now >= deadline) {
    finish(e, RunStatus::kTimedOut);
    return;
  }
  e.phase = Phase::kRunning;
  e.call = ++next_call_;
  calls_[e.call] = Call{run.run_id, run.partition, std::nullopt};
  metrics_.dispatched(e.lane).inc();
  uint64_t call = e.call;
  bool resume = e.resume_same_attempt;
  e.resume_same_attempt = false;
  e.last_answer.reset();
  if (!resume) {
    ++run.attempt;
    run.status = RunStatus::kRunning;
    run.next_attempt_at = 0;
    run.error_code.clear();
    run.error_message.clear();
  }
  long timeout = static_cast<long>(std::min<int64_t>(config_.request_timeout_ms, deadline - now));
  e.deadline_limited = deadline - now <= config_.request_timeout_ms;
  HttpRequest req = buildWorkerRequest(run, {url, config_.worker_secret, deadline, timeout}, now);
  if (resume) {  // already recorded as running by the previous owner
    callWorker(call, std::move(req));
    return;
  }
  std::vector<OffsetRef> done;
  if (e.lane_offset) done.push_back(*e.lane_offset);
  e.lane_offset.reset();
  // The worker is called only once `running` is durable, so a new owner knows every run that may
  // have been executed (DESIGN: write running, then POST); the request's offset is done then too.
  auto shared = std::make_shared<HttpRequest>(std::move(req));
  record(e, std::move(done), [this, call, shared] { callWorker(call, std::move(*shared)); });
}

void Dispatcher::callWorker(uint64_t call, HttpRequest req) {
  auto c = calls_.find(call);
  if (c == calls_.end()) return;  // handed over meanwhile
  if (c->second.orphan) {         // cancelled before the call went out: give the slot back
    limits_.release(*c->second.orphan);
    scheduler_.onReleased(*c->second.orphan);
    metrics_.workflowInflight(c->second.orphan->workflow_key).add(-1);
    calls_.erase(c);
    return;
  }
  http_.submit(std::move(req), [this, call](HttpResult&& r) {
    auto result = std::make_shared<HttpResult>(std::move(r));
    post([this, call, result] { onAnswer(call, std::move(*result)); });
  });
}

void Dispatcher::onAnswer(uint64_t call, HttpResult&& r) {
  auto c = calls_.find(call);
  if (c == calls_.end()) return;  // its partition was handed over
  if (suspended_.count(c->second.partition)) {
    auto shared = std::make_shared<HttpResult>(std::move(r));
    deferred_.push_back([this, call, shared] { onAnswer(call, std::move(*shared)); });
    return;
  }
  Call info = std::move(c->second);
  calls_.erase(c);
  metrics_.callSeconds().observe(r.seconds);
  if (info.orphan) {  // cancelled while the worker had it: only the slot is left to give back
    limits_.release(*info.orphan);
    scheduler_.onReleased(*info.orphan);
    metrics_.workflowInflight(info.orphan->workflow_key).add(-1);
    return;
  }
  auto it = runs_.find(info.run_id);
  if (it == runs_.end() || it->second.call != call || it->second.phase != Phase::kRunning) return;
  Outcome outcome = classify(r);
  // Only a run with a failure callback keeps the answer: the callback reports it (Upstash does).
  if (!it->second.run.failure_callback.empty()) {
    it->second.last_answer = std::make_shared<const HttpResult>(std::move(r));
  }
  applyOutcome(it->second, outcome);
}

void Dispatcher::applyOutcome(Entry& e, const Outcome& o) {
  Run& run = e.run;
  int64_t now = clock_.nowMs();
  switch (o.kind) {
    case Outcome::Kind::kCompleted:
      run.output = o.output;
      finish(e, RunStatus::kCompleted);
      return;
    case Outcome::Kind::kAccepted:
      e.phase = Phase::kAwaiting;
      e.last_answer.reset();  // the 202 decides nothing; the result record will
      if (e.early_result) {
        auto early = std::move(*e.early_result);
        e.early_result.reset();
        applyResult(e, early.first, early.second);
        return;
      }
      armTimer(e, deadlineOf(run));  // the result must come before the deadline
      return;
    case Outcome::Kind::kFailed:
      run.error_code = o.error_code;
      run.error_message = o.error_message;
      finish(e, RunStatus::kFailed);
      return;
    case Outcome::Kind::kRetry:
      break;
  }
  run.error_code = o.error_code;
  run.error_message = o.error_message;
  int64_t deadline = deadlineOf(run);
  if ((o.timed_out && e.deadline_limited) || now >= deadline) {
    finish(e, RunStatus::kTimedOut);
    return;
  }
  if (run.attempt >= run.max_attempts) {
    finish(e, RunStatus::kFailed);
    return;
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  releaseSlot(e);
  run.status = RunStatus::kRetrying;
  run.next_attempt_at = now + config_.retry.delayMs(run.attempt, unit);
  e.phase = Phase::kBackoff;
  metrics_.retries(e.lane).inc();
  record(e, {});
  armTimer(e, std::min(run.next_attempt_at, deadline));
}

void Dispatcher::applyResult(Entry& e, const ControlMessage& m, const OffsetRef& ref) {
  // A result for another attempt is stale (the worker's answer raced a retry).
  if (m.attempt != 0 && m.attempt != e.run.attempt) {
    offsetDone(ref);
    return;
  }
  if (e.phase == Phase::kRunning) {  // the result overtook the 202: apply it when the 202 lands
    if (e.early_result) offsetDone(e.early_result->second);
    e.early_result = std::make_pair(m, ref);
    return;
  }
  if (e.phase != Phase::kAwaiting) {
    offsetDone(ref);
    return;
  }
  if (m.success) {
    e.run.output = m.output.empty() ? "null" : m.output;
    finish(e, RunStatus::kCompleted, {ref});
  } else {
    e.run.error_code = m.error_code.empty() ? "worker_failed" : m.error_code;
    e.run.error_message = m.error_message;
    finish(e, RunStatus::kFailed, {ref});
  }
}

void Dispatcher::releaseSlot(Entry& e) {
  if (!e.holds_slot) return;
  e.holds_slot = false;
  limits_.release(e.limits);
  scheduler_.onReleased(e.limits);
  metrics_.workflowInflight(e.limits.workflow_key).add(-1);
}

void Dispatcher::finish(Entry& e, RunStatus status, std::vector<OffsetRef> done) {
  if (e.phase == Phase::kAwaitingWorkflow) leaveAwaitingWorkflow(e);
  if (e.phase == Phase::kRunning && e.holds_slot) {
    // The worker still has the call: keep its slot until it answers, so limits hold at the worker.
    auto c = calls_.find(e.call);
    if (c != calls_.end()) {
      c->second.orphan = e.limits;
      e.holds_slot = false;
    }
  }
  releaseSlot(e);
  if (e.early_result) done.push_back(e.early_result->second);
  if (e.lane_offset) done.push_back(*e.lane_offset);
  int64_t now = clock_.nowMs();
  Run& run = e.run;
  run.status = status;
  run.completed_at = now;
  run.next_attempt_at = 0;
  if (status != RunStatus::kCompleted) run.output.clear();
  if (status == RunStatus::kCancelled && run.error_code.empty()) run.error_code = "cancelled";
  if (status == RunStatus::kTimedOut) {
    run.error_code = "timed_out";
    run.error_message = "the run did not finish within timeout_seconds=" + std::to_string(run.timeout_seconds);
  }
  // The callback goes out once the terminal record is durable: it never reports an unrecorded end.
  record(e, std::move(done), failureCallbackOf(e));
  for (const auto& a : e.aliases) {
    // The end counts in every batch that requested the run; each alias's lane record is released
    // once its batch's progress record is durable.
    Run counted = run;
    counted.batch_id = a.batch_id;
    counted.batch_size = a.batch_size;
    counted.created_at = a.created_at;
    Write progress;
    progress.msg = makeProgressRecord(topics_.batch_progress, counted);
    progress.done = {a.lane_offset};
    produce(std::move(progress));
  }
  finished_.add(run.partition, run.run_id, {run.status, std::hash<std::string>{}(run.batch_id)});
  runs_.erase(run.run_id);  // `e` is gone after this line
}

std::function<void()> Dispatcher::failureCallbackOf(const Entry& e) const {
  const Run& run = e.run;
  const bool failed = run.status == RunStatus::kFailed || run.status == RunStatus::kTimedOut;
  if (run.failure_callback.empty() || !failed) return {};
  std::string url = run.destination;
  if (url.empty()) {
    if (auto wf = workflows_.find(run.project, run.workflow_id)) url = wf->endpoint;
  }
  return [this, run, url = std::move(url), answer = e.last_answer]() mutable {
    callbacks_.send(std::move(run), std::move(url), std::move(answer));
  };
}

void Dispatcher::armTimer(Entry& e, int64_t due) {
  e.timer = ++next_timer_;
  timers_.push(Timer{due, e.timer, e.run.run_id});
}

bool Dispatcher::fireTimers() {
  bool any = false;
  int64_t now = clock_.nowMs();
  while (!timers_.empty() && timers_.top().due <= now) {
    Timer t = timers_.top();
    timers_.pop();
    auto it = runs_.find(t.run_id);
    if (it == runs_.end() || it->second.timer != t.token || !owns(it->second.run.partition)) continue;
    Entry& e = it->second;
    e.timer = 0;
    any = true;
    if (e.phase == Phase::kAwaitingWorkflow) continue;  // never started: no deadline runs yet
    if (now >= deadlineOf(e.run)) {
      finish(e, RunStatus::kTimedOut);
    } else if (e.phase == Phase::kBackoff) {
      enqueue(e, false);  // the next attempt waits for a slot like any other run
    }
  }
  return any;
}

void Dispatcher::cancel(const std::string& run_id, const OffsetRef& ref) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) {
    int32_t p = ref.tp.partition;
    if (finished_.find(p, run_id)) {
      offsetDone(ref);  // already terminal: nothing to cancel
    } else {
      // Not read yet (deep in a backlog): cancel it when its request arrives. The control offset
      // stays pending until then, so a restart re-reads this cancel.
      if (auto old = pending_cancels_.find(run_id); old != pending_cancels_.end()) offsetDone(old->second);
      pending_cancels_[run_id] = ref;
    }
    return;
  }
  Entry& e = it->second;
  if (e.phase == Phase::kWaiting) {
    if (auto item = scheduler_.remove(run_id); item && item->from_lane) --buffered_[{item->lane, item->partition}];
  }
  finish(e, RunStatus::kCancelled, {ref});
}

}  // namespace batchrun::dispatcher
