#include "batchrun/dispatcher/batches/batch_tracker.hpp"

#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::dispatcher {

BatchTracker::BatchTracker(const KafkaSettings& kafka, std::string group_id, Producer& producer, const Clock& clock,
                           PoisonRecords& poison)
    : kafka_(kafka), topics_(kafka), group_id_(std::move(group_id)), producer_(producer), clock_(clock), poison_(poison) {}

BatchTracker::~BatchTracker() { stop(); }

Status BatchTracker::start() {
  ConsumerOptions opts;
  opts.group_id = group_id_;
  opts.overrides = {{"enable.partition.eof", "true"}};
  auto c = Consumer::create(kafka_, opts, this);
  if (!c) return c.error();
  consumer_ = std::move(*c);
  if (auto st = consumer_->subscribe({topics_.batch_progress}); !st) return st;
  thread_ = std::thread([this] { loop(); });
  return {};
}

void BatchTracker::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

void BatchTracker::onAssigned(const std::vector<TopicPartition>& parts) {
  // No offsets are ever stored, so the assigned partitions start from the beginning.
  counter_.clear();
  replaying_.clear();
  for (const auto& tp : parts) replaying_.insert(tp.partition);
}

void BatchTracker::onRevoked(const std::vector<TopicPartition>&) {
  counter_.clear();
  replaying_.clear();
}

void BatchTracker::loop() {
  while (!stop_.load()) {
    Message m = consumer_->poll(100);
    if (m) {
      if (m.isError()) {
        if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) replaying_.erase(m.partition());
        else log::warn("batch tracker consume error", {{"error", m.errorString()}});
      } else if (auto p = decodeBatchProgress(m.value())) {
        counter_.apply(*p);
      } else {
        poison_.report(m, p.error().message);  // replayed on every assignment: reported once per process
      }
    }
    if (!replaying_.empty() || consumer_->assignment().empty()) continue;
    for (auto& summary : counter_.takeCompleted(clock_.nowMs())) {
      // The event first, then the marker: a crash between them repeats the event with the same id.
      auto event = makeBatchCompletedEvent(topics_.events, summary, clock_.nowMs());
      auto marker = makeDoneMarker(topics_.batch_progress, summary.batch_id, summary.project);
      auto e = producer_.produceSync(std::move(event));
      if (!e || !e->ok) {
        log::error("batch.completed not produced; will retry", {{"batch_id", summary.batch_id}});
        counter_.retryLater(summary.batch_id);
        continue;
      }
      (void)producer_.produce(std::move(marker), nullptr, nullptr);
      ++announced_;
      log::info("batch completed", {{"batch_id", summary.batch_id}, {"total", std::to_string(summary.total)}});
    }
  }
}

}  // namespace batchrun::dispatcher
