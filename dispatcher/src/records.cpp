// Recording a change of status: one runs.state record at the run's own partition, one runs.events
// event, and for a terminal run of a batch one batches.progress record. Offsets a record completes
// are released only when it is durable; failed writes are produced again.
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/dispatcher/batches/batch_progress.hpp"
#include "batchrun/dispatcher/dispatcher.hpp"

namespace batchrun::dispatcher {

namespace {
constexpr int64_t kWriteRetryMs = 1000;
}

void Dispatcher::record(Entry& e, std::vector<OffsetRef> done, std::function<void()> on_durable) {
  Run& run = e.run;
  int64_t now = clock_.nowMs();
  ++run.version;
  run.updated_at = now;
  Write state;
  state.msg.topic = topics_.state;
  state.msg.key = run.run_id;
  state.msg.value = encodeRun(run);
  state.msg.partition = run.partition;
  state.done = std::move(done);
  state.owner_partition = run.partition;
  state.on_durable = std::move(on_durable);
  // Until Kafka has it, this record dies with the process and the next owner executes the attempt
  // again: count it against the cap on unacknowledged outcomes. (`running` precedes the call;
  // losing it re-executes nothing.)
  if (run.status != RunStatus::kRunning && run.attempt > 0) {
    state.outcome = true;
    if (backpressure_.produced()) metrics_.backpressurePauses().inc();
    metrics_.unackedOutcomes().set(backpressure_.unacked());
  }
  produce(std::move(state));

  const char* type = eventTypeFor(run.status);
  Write event;
  event.msg = makeRunEvent(topics_.events, run, type, now);
  produce(std::move(event));

  if (isTerminal(run.status) && !run.batch_id.empty()) {
    Write progress;
    progress.msg = makeProgressRecord(topics_.batch_progress, run);
    produce(std::move(progress));
  }
  metrics_.outcome(run.lane, toString(run.status)).inc();
  // One line per change of status (debug: a busy dispatcher records thousands a second); failures
  // are worth seeing at the default level.
  const bool bad = run.status == RunStatus::kFailed || run.status == RunStatus::kTimedOut;
  if (bad || log::debugEnabled()) {
    auto fields = {log::Field{"run_id", run.run_id}, log::Field{"batch_id", run.batch_id},
                   log::Field{"workflow_id", run.workflow_id}, log::Field{"status", toString(run.status)},
                   log::Field{"error_code", run.error_code}};
    if (bad) log::warn("run status changed", fields); else log::debug("run status changed", fields);
  }
}

void Dispatcher::produce(Write w) {
  // The producer moves the message away; keep a copy so a failed delivery can be produced again.
  auto* tag = new Write(w);
  Status st = producer_.produce(std::move(w.msg), this, tag);
  if (!st) {
    write_retries_.emplace_back(clock_.nowMs() + 100, std::move(*tag));
    delete tag;
  }
}

void Dispatcher::onDelivery(const DeliveryReport& report, void* tag) {
  // Producer thread: hand the outcome to the loop.
  auto write = std::shared_ptr<Write>(static_cast<Write*>(tag));
  bool ok = report.ok;
  std::string error = report.error;
  const int64_t offset = report.offset;
  post([this, write, ok, error, offset] {
    if (ok) {
      // Only state records name an owner partition; events and progress records skip the lookup.
      if (write->owner_partition >= 0) {
        if (auto v = vouch_upto_.find(write->owner_partition); v != vouch_upto_.end()) v->second = std::max(v->second, offset);
      }
      if (write->outcome) outcomeSettled();
      for (const auto& ref : write->done) offsetDone(ref);
      if (write->on_durable) write->on_durable();
      return;
    }
    // A state record for a partition we no longer own is the next owner's to write.
    if (write->owner_partition >= 0 && !owned_.count(write->owner_partition)) {
      if (write->outcome) outcomeSettled();
      return;
    }
    log::warn("record not delivered; producing it again", {{"topic", write->msg.topic}, {"error", error}});
    write_retries_.emplace_back(clock_.nowMs() + kWriteRetryMs, std::move(*write));
  });
}

void Dispatcher::outcomeSettled() {
  backpressure_.settled();
  metrics_.unackedOutcomes().set(backpressure_.unacked());
}

bool Dispatcher::retryWrites() {
  bool any = false;
  int64_t now = clock_.nowMs();
  size_t n = write_retries_.size();
  for (size_t i = 0; i < n && !write_retries_.empty(); ++i) {
    auto [due, w] = std::move(write_retries_.front());
    write_retries_.pop_front();
    if (due > now) {
      write_retries_.emplace_back(due, std::move(w));
      continue;
    }
    any = true;
    produce(std::move(w));
  }
  return any;
}

}  // namespace batchrun::dispatcher
