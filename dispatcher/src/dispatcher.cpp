// The dispatch loop and its Kafka side: consuming lanes in priority order with bounded read-ahead,
// control records, rebalances (suspend on revoke, resume or drop on assign, rebuild new partitions
// from runs.state), offsets, and the inbox other threads post to.
#include "batchrun/dispatcher/dispatcher.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/records/handover_marker.hpp"
#include "batchrun/common/records/run_identity.hpp"
#include "batchrun/dispatcher/batches/batch_progress.hpp"
#include "batchrun/dispatcher/state/request_check.hpp"
#include "batchrun/dispatcher/state/state_reader.hpp"

namespace batchrun::dispatcher {

namespace {
constexpr int kRecordsPerTurn = 2000;  // keeps one loop turn short so answers and timers stay prompt
constexpr auto kIdleWait = std::chrono::milliseconds(3);
}  // namespace

Dispatcher::Dispatcher(const Config& config, Producer& producer, HttpClient& http, const WorkflowRegistry& workflows,
                       FailureCallbacks& callbacks, const Clock& clock, DispatcherMetrics& metrics,
                       PoisonRecords& poison)
    : config_(config),
      topics_(config.service.kafka),
      lane_topics_(topics_.laneTopics()),
      producer_(producer),
      http_(http),
      workflows_(workflows),
      callbacks_(callbacks),
      clock_(clock),
      metrics_(metrics),
      poison_(poison),
      limits_(config.max_inflight),
      backpressure_(config.max_unacked_outcomes),
      scheduler_(static_cast<int>(lane_topics_.size()), config.min_lane_share_percent / 100.0),
      finished_(config.service.kafka.run_retention_ms) {}

Dispatcher::~Dispatcher() { stop(); }

Status Dispatcher::start() {
  ConsumerOptions opts;
  opts.group_id = config_.group_id;
  opts.assignment_strategy = "range";
  opts.per_partition_queues = true;
  auto c = Consumer::create(config_.service.kafka, opts, this);
  if (!c) return c.error();
  consumer_ = std::move(*c);
  std::vector<std::string> topics = lane_topics_;
  topics.push_back(topics_.control);
  if (auto st = consumer_->subscribe(topics); !st) return st;
  {
    std::lock_guard lock(mu_);
    readiness_ = "waiting for a partition assignment";
  }
  thread_ = std::thread([this] { loop(); });
  return {};
}

void Dispatcher::stop() {
  if (!thread_.joinable()) return;
  drain_ = true;
  cv_.notify_all();
  thread_.join();
}

std::string Dispatcher::readiness() const {
  // Not ready only until the first assignment is rebuilt. A later rebalance or rebuild is the group
  // doing its work (a broker failover moving the coordinator, a member joining or dying): marking the
  // pod unready for it would flap every dispatcher at once and help nothing, since no traffic is
  // routed to a dispatcher (docs/operations.md, "What the probes check").
  std::lock_guard lock(mu_);
  return ready_once_ ? std::string() : readiness_;
}

void Dispatcher::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    inbox_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

bool Dispatcher::drainInbox() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(inbox_);
  }
  for (auto& fn : batch) fn();
  return !batch.empty();
}

void Dispatcher::loop() {
  int64_t drain_deadline = 0;
  while (true) {
    if (drain_.load() && !draining_) {
      draining_ = true;  // no new starts, no more reading; wait for answers in flight
      drain_deadline = clock_.nowMs() + config_.drain_timeout_ms;
      log::info("dispatcher draining", {{"calls_in_flight", std::to_string(calls_.size())}});
    }
    if (draining_ && (calls_.empty() || clock_.nowMs() >= drain_deadline)) break;
    Message m = consumer_->poll(0);  // serves rebalances; partition records come from their own queues
    if (m && m.isError() && m.error() != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      log::warn("dispatcher consumer error", {{"error", m.errorString()}});
    }
    if (!rebuilding_.empty()) rebuild();
    finished_.tick(clock_.nowMs());
    bool busy = drainInbox();
    if (!draining_) busy |= pollRecords();
    busy |= fireTimers();
    busy |= pollAwaitingWorkflow();
    busy |= retryWrites();
    if (!draining_) busy |= dispatchReady();
    updateGauges();
    if (!busy) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kIdleWait, [this] { return !inbox_.empty() || drain_.load(); });
    }
  }
  // Leaving the group runs onRevoked (final offsets) and commits; calls still in flight are
  // abandoned and re-executed by the next owner from their `running` record.
  consumer_->close();
  producer_.flush(10000);
}

bool Dispatcher::pollRecords() {
  int budget = kRecordsPerTurn;
  // Control first: cancels and results are small and unblock runs.
  for (int32_t p : owned_) {
    if (!owns(p)) continue;
    TopicPartition tp{topics_.control, p};
    while (budget > 0) {
      Message m = consumer_->pollPartition(tp);
      if (!m) break;
      --budget;
      if (m.isError()) continue;
      try {
        onControlRecord(m);
      } catch (const std::exception& e) {  // never out of the loop: the record is skipped instead
        trackers_[tp].add(m.offset());
        poison_.report(m, std::string("exception while applying: ") + e.what());
        offsetDone({tp, m.offset()});
      }
    }
  }
  // Lanes in priority order, each partition only while its read-ahead bound allows.
  for (int lane = 0; lane < static_cast<int>(lane_topics_.size()); ++lane) {
    for (int32_t p : owned_) {
      if (!owns(p)) continue;
      TopicPartition tp{lane_topics_[static_cast<size_t>(lane)], p};
      int& waiting = buffered_[{lane, p}];
      while (budget > 0 && waiting < config_.max_buffered_per_partition) {
        Message m = consumer_->pollPartition(tp);
        if (!m) break;
        --budget;
        if (m.isError()) continue;
        try {
          onLaneRecord(lane, m);
        } catch (const std::exception& e) {
          onPoisonRequest(lane, m, {tp, m.offset()}, std::string("exception while applying: ") + e.what());
        }
      }
    }
  }
  return budget < kRecordsPerTurn;
}

void Dispatcher::onLaneRecord(int lane, const Message& m) {
  OffsetRef ref{{lane_topics_[static_cast<size_t>(lane)], m.partition()}, m.offset()};
  OffsetTracker& tracker = trackers_[ref.tp];
  auto decoded = decodeRun(m.value());
  if (!decoded) return onPoisonRequest(lane, m, ref, decoded.error().message);
  if (auto why = requestProblem(*decoded); !why.empty()) return onPoisonRequest(lane, m, ref, why);
  Run run = std::move(*decoded);
  run.partition = m.partition();
  if (run.lane.empty()) run.lane = topics_.lanes[static_cast<size_t>(lane)].name;
  // Known run: a re-delivery after a rebalance, or the same run submitted again (dedup by run_id).
  if (auto it = runs_.find(run.run_id); it != runs_.end()) {
    Entry& known = it->second;
    const auto same = [&](const OffsetRef& o) { return o.tp == ref.tp && o.offset == ref.offset; };
    if (known.lane_offset && same(*known.lane_offset)) return;  // the same record, still pending
    for (const auto& a : known.aliases) {
      if (same(a.lane_offset)) return;
    }
    tracker.add(ref.offset);
    if (!run.batch_id.empty() && run.batch_id != known.run.batch_id &&
        std::none_of(known.aliases.begin(), known.aliases.end(),
                     [&](const BatchAlias& a) { return a.batch_id == run.batch_id; })) {
      // Another batch asked for this run: it counts the run's end too (finish()).
      known.aliases.push_back(BatchAlias{run.batch_id, run.batch_size, run.created_at, ref});
      return;
    }
    offsetDone(ref);
    return;
  }
  if (const auto* f = finished_.find(run.partition, run.run_id)) {
    tracker.add(ref.offset);
    if (!run.batch_id.empty() && std::hash<std::string>{}(run.batch_id) != f->batch_hash) {
      // Another batch's request for a run that has ended: count its end in that batch now (a
      // repeat after a restart counts once: batches count distinct runs).
      run.status = f->status;
      Write progress;
      progress.msg = makeProgressRecord(topics_.batch_progress, run);
      progress.done = {ref};
      produce(std::move(progress));
      return;
    }
    offsetDone(ref);
    return;
  }
  tracker.add(ref.offset);
  Entry& e = runs_[run.run_id];
  e.run = std::move(run);
  e.lane = lane;
  e.lane_offset = ref;
  if (auto pc = pending_cancels_.find(e.run.run_id); pc != pending_cancels_.end()) {
    OffsetRef control = pc->second;
    pending_cancels_.erase(pc);
    finish(e, RunStatus::kCancelled, {control});  // cancelled before it was ever read: never starts
    return;
  }
  enqueue(e, true);
}

void Dispatcher::onPoisonRequest(int lane, const Message& m, const OffsetRef& ref, const std::string& reason) {
  OffsetTracker& tracker = trackers_[ref.tp];
  tracker.add(ref.offset);
  auto copy = poison_.take(m, reason);
  auto id = peekRunIdentity(m.value(), m.header("project").value_or(std::string_view()),
                            m.header("batch_id").value_or(std::string_view()));
  const bool new_run = id && !runs_.count(id->run_id) && !finished_.find(m.partition(), id->run_id);
  if (copy) {
    Write w;
    w.msg = std::move(*copy);
    if (!new_run) w.done = {ref};  // a failed run's own record releases the offset otherwise
    produce(std::move(w));
  } else if (!new_run) {
    offsetDone(ref);
  }
  if (!new_run) return;
  // The record names a run nobody else will ever end: record it failed, so its caller, its batch
  // and its webhooks learn why instead of waiting for a run that never starts.
  Entry& e = runs_[id->run_id];
  Run& run = e.run;
  run.run_id = id->run_id;
  run.project = id->project;
  run.batch_id = id->batch_id;
  run.workflow_id = id->workflow_id;
  run.batch_size = id->batch_size;
  run.batch_index = id->batch_index;
  run.created_at = id->created_at > 0 ? id->created_at : clock_.nowMs();
  run.lane = topics_.lanes[static_cast<size_t>(lane)].name;
  run.partition = m.partition();
  run.max_attempts = 0;
  run.error_code = "invalid_record";
  run.error_message = "the run's request record could not be read: " + json::toValidUtf8(reason, 300);
  e.lane = lane;
  e.lane_offset = ref;
  std::vector<OffsetRef> done;
  if (auto pc = pending_cancels_.find(run.run_id); pc != pending_cancels_.end()) {
    done.push_back(pc->second);  // a cancel that came first is settled by this end too
    pending_cancels_.erase(pc);
  }
  finish(e, RunStatus::kFailed, std::move(done));
}

void Dispatcher::onControlRecord(const Message& m) {
  OffsetRef ref{{topics_.control, m.partition()}, m.offset()};
  trackers_[ref.tp].add(ref.offset);
  auto c = decodeControl(m.value());
  if (!c) {
    // A control record names its run by key. When that run is one of ours and not ended, it ends
    // `failed` with invalid_record (issue 24: a run whose record is bad ends with a clear error):
    // the cancel or result it carried is unknowable, and an async run would otherwise wait for a
    // result that never comes until its deadline. The record itself goes to the dead-letter topic.
    Write copy;
    if (auto msg = poison_.take(m, c.error().message)) {
      copy.msg = std::move(*msg);
      copy.done = {ref};
      produce(std::move(copy));
    } else {
      offsetDone(ref);
    }
    if (auto it = runs_.find(std::string(m.key())); it != runs_.end() && !isTerminal(it->second.run.status)) {
      Entry& e = it->second;
      e.run.error_code = "invalid_record";
      e.run.error_message =
          "a control record (cancel or result) for the run could not be read: " + json::toValidUtf8(c.error().message, 300);
      finish(e, RunStatus::kFailed, {});
    }
    return;
  }
  if (c->type == ControlMessage::Type::kCancel) {
    cancel(c->run_id, ref);
    return;
  }
  auto it = runs_.find(c->run_id);
  if (it == runs_.end()) {  // finished already, or not ours to know: nothing to apply
    offsetDone(ref);
    return;
  }
  applyResult(it->second, *c, ref);
}

void Dispatcher::offsetDone(const OffsetRef& ref) {
  auto it = trackers_.find(ref.tp);
  if (it == trackers_.end()) return;
  it->second.done(ref.offset);
  if (!owns(ref.tp.partition)) return;  // stored on revoke or when resumed
  if (auto next = it->second.advance()) consumer_->storeOffset(ref.tp, *next);
}

void Dispatcher::storeOffsets(bool all) {
  for (auto& [tp, tracker] : trackers_) {
    if (!all && !owns(tp.partition)) continue;
    int64_t c = tracker.committable();
    if (c >= 0) consumer_->storeOffset(tp, c);
  }
}

void Dispatcher::onRevoked(const std::vector<TopicPartition>& parts) {
  // Finish recording what is already decided, so the next owner's rebuild sees it; then store
  // offsets and, if every write settled, mark the handover. Runs stay in memory, suspended: if the
  // partitions come back (eager rebalances revoke everything) they resume without re-execution;
  // otherwise onAssigned drops them.
  const bool settled = settleWrites();
  for (const auto& tp : parts) {
    auto it = trackers_.find(tp);
    if (it != trackers_.end() && it->second.committable() >= 0) consumer_->storeOffset(tp, it->second.committable());
  }
  // A lost assignment may be another member's already: vouch for nothing there.
  if (settled && !consumer_->assignmentLost()) markHandover(parts);
  for (const auto& tp : parts) {
    if (owned_.count(tp.partition)) suspended_.insert(tp.partition);
  }
  assignment_.clear();
  std::lock_guard lock(mu_);
  readiness_ = "rebalancing";
}

bool Dispatcher::settleWrites() {
  // A round that handled nothing after a complete flush means every report was seen: the writes
  // all succeeded unless one waits to be produced again.
  for (int round = 0; round < 5; ++round) {
    bool worked = drainInbox();
    worked |= retryWrites();
    if (producer_.flush(10000) != 0) continue;
    if (!worked && round > 0) return write_retries_.empty();
  }
  drainInbox();
  return false;
}

void Dispatcher::markHandover(const std::vector<TopicPartition>& parts) {
  std::map<int32_t, int64_t> given;  // partition → upto
  for (const auto& tp : parts) {
    auto v = vouch_upto_.find(tp.partition);
    if (owned_.count(tp.partition) && !rebuilding_.count(tp.partition) && v != vouch_upto_.end() && v->second >= 0) {
      given.emplace(tp.partition, v->second);
    }
  }
  if (given.empty()) return;
  const int64_t now = clock_.nowMs();
  for (auto [p, upto] : given) {
    if (auto st = producer_.produce(handoverMarker(topics_.state, p, upto, now), nullptr, nullptr); !st) {
      log::warn("handover marker not written", {{"partition", std::to_string(p)}, {"error", st.error().message}});
    }
  }
  // Without its marker the next owner announces the last moments again, as after a crash.
  producer_.flush(10000);
}

void Dispatcher::onAssigned(const std::vector<TopicPartition>& parts) {
  assignment_ = parts;
  std::set<int32_t> now;
  for (const auto& tp : parts) now.insert(tp.partition);
  for (int32_t p : std::set<int32_t>(owned_)) {
    if (!now.count(p)) dropPartition(p);
  }
  suspended_.clear();
  for (int32_t p : now) {
    if (!owned_.count(p)) rebuilding_.insert(p);
  }
  owned_ = now;
  assigned_once_ = true;
  // Answers that arrived while suspended, for partitions we kept.
  auto deferred = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : deferred) post(std::move(fn));
  // Offsets decided while suspended can be stored now.
  storeOffsets(false);
  metrics_.partitions().set(static_cast<double>(owned_.size()));
  std::lock_guard lock(mu_);
  readiness_ = rebuilding_.empty() ? std::string() : "rebuilding state of assigned partitions";
  ready_once_ |= readiness_.empty();
}

void Dispatcher::dropPartition(int32_t p) {
  // Another dispatcher owns these runs now; it re-executes what was in flight.
  for (auto& item : scheduler_.removeIf([p](const SchedItem& s) { return s.partition == p; })) (void)item;
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->second.run.partition != p) {
      ++it;
      continue;
    }
    releaseSlot(it->second);
    it = runs_.erase(it);
  }
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second.partition == p) {
      if (it->second.orphan) {
        limits_.release(*it->second.orphan);
        scheduler_.onReleased(*it->second.orphan);
      }
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = pending_cancels_.begin(); it != pending_cancels_.end();) {
    it = it->second.tp.partition == p ? pending_cancels_.erase(it) : std::next(it);
  }
  for (auto it = trackers_.begin(); it != trackers_.end();) {
    it = it->first.partition == p ? trackers_.erase(it) : std::next(it);
  }
  for (auto it = buffered_.begin(); it != buffered_.end();) {
    it = it->first.second == p ? buffered_.erase(it) : std::next(it);
  }
  finished_.dropPartition(p);
  vouch_upto_.erase(p);
  log::info("partition handed over", {{"partition", std::to_string(p)}});
}

void Dispatcher::rebuild() {
  std::vector<int32_t> parts(rebuilding_.begin(), rebuilding_.end());
  struct Latest {
    Run run;
    int64_t offset = -1;
  };
  std::unordered_map<std::string, Latest> latest;
  std::unordered_map<int32_t, int64_t> vouched_upto;  // partition → the furthest any handover marker vouches for
  std::map<int32_t, int64_t> end;                     // partition → last offset read
  auto st = readPartitionsToEnd(config_.service.kafka, topics_.state, parts, [&](const Message& m) {
    end[m.partition()] = m.offset();
    if (m.value().empty()) return poison_.report(m, "empty record (runs.state has no tombstones)");
    if (isHandoverMarker(m)) {
      auto& v = vouched_upto.try_emplace(m.partition(), -1).first->second;
      v = std::max(v, handoverUpto(m.value()));
      return;
    }
    auto run = decodeRun(m.value());
    if (!run) return poison_.report(m, run.error().message);
    auto& slot = latest[run->run_id];
    if (slot.run.run_id.empty() || run->version >= slot.run.version) slot = {std::move(*run), m.offset()};
  });
  if (!st) {
    log::warn("state rebuild failed; retrying", {{"error", st.error().message}});
    return;  // rebuilding_ stays set: the next turn tries again
  }
  // The previous owner may have died with a state record durable but its event (or batch progress
  // record) not: they are produced side by side. Announce again what it recorded in its last
  // moments — the same stable event ids, so consumers drop what they already have. A handover
  // marker vouches for the records up to its `upto`: only later ones can be in doubt.
  std::unordered_map<int32_t, int64_t> last_update;
  for (auto& [id, l] : latest) last_update[l.run.partition] = std::max(last_update[l.run.partition], l.run.updated_at);
  const int64_t in_doubt_ms = config_.service.kafka.message_timeout_ms + 5000;
  size_t resumed = 0, reannounced = 0;
  for (auto& [id, l] : latest) {
    Run& run = l.run;
    if (!rebuilding_.count(run.partition) || run.status == RunStatus::kQueued) continue;
    if (!isTerminal(run.status)) ++resumed;
    auto marker = vouched_upto.find(run.partition);
    const bool vouched = marker != vouched_upto.end() && l.offset <= marker->second;
    if (!vouched && run.updated_at >= last_update[run.partition] - in_doubt_ms) {
      ++reannounced;
      Write event;
      event.msg = makeRunEvent(topics_.events, run, eventTypeFor(run.status), clock_.nowMs());
      produce(std::move(event));
      if (isTerminal(run.status) && !run.batch_id.empty()) {
        Write progress;
        progress.msg = makeProgressRecord(topics_.batch_progress, run);
        produce(std::move(progress));
      }
    }
    adoptRebuilt(std::move(run));
  }
  metrics_.rebuilds().inc(static_cast<double>(parts.size()));
  metrics_.reannounced().inc(static_cast<double>(reannounced));
  log::info("partition state rebuilt", {{"partitions", std::to_string(parts.size())}, {"runs", std::to_string(latest.size())},
                                        {"resumed", std::to_string(resumed)}, {"reannounced", std::to_string(reannounced)},
                                        {"vouched_partitions", std::to_string(vouched_upto.size())}});
  for (int32_t p : parts) vouch_upto_[p] = end.count(p) ? end[p] : -1;
  rebuilding_.clear();
  std::lock_guard lock(mu_);
  readiness_.clear();
  ready_once_ = true;
}

void Dispatcher::adoptRebuilt(Run run) {
  if (isTerminal(run.status)) {
    finished_.add(run.partition, run.run_id, {run.status, std::hash<std::string>{}(run.batch_id)});
    return;
  }
  if (run.status == RunStatus::kQueued) return;  // only requests are queued; the lane record follows
  Entry& e = runs_[run.run_id];
  e.lane = 0;
  for (size_t i = 0; i < topics_.lanes.size(); ++i) {
    if (topics_.lanes[i].name == run.lane) e.lane = static_cast<int>(i);
  }
  e.run = std::move(run);
  if (e.run.status == RunStatus::kRunning) {
    // Its owner died mid-call: run that attempt again (at-least-once; the worker sees the same
    // run id and attempt), unless the deadline passed — startRun checks that.
    e.resume_same_attempt = true;
    enqueue(e, false);
  } else {  // retrying
    e.phase = Phase::kBackoff;
    armTimer(e, std::min(e.run.next_attempt_at, deadlineOf(e.run)));
  }
}

void Dispatcher::updateGauges() {
  int64_t now = clock_.nowMs();
  if (now - last_gauges_ms_ < 1000) return;
  last_gauges_ms_ = now;
  for (int lane = 0; lane < static_cast<int>(lane_topics_.size()); ++lane) {
    int64_t lag = 0;
    for (int32_t p : owned_) {
      int64_t l = consumer_->lag({lane_topics_[static_cast<size_t>(lane)], p});
      if (l > 0) lag += l;
    }
    metrics_.lag(lane).set(static_cast<double>(lag));
    metrics_.buffered(lane).set(static_cast<double>(scheduler_.waiting(lane)));
  }
  metrics_.inflight().set(limits_.inflight());
  metrics_.unackedOutcomes().set(backpressure_.unacked());
  metrics_.queueKeysInflight().set(static_cast<double>(limits_.activeQueueKeys()));
}

}  // namespace batchrun::dispatcher
