#include "batchrun/webhook/event_consumer.hpp"

#include <chrono>

#include "batchrun/common/json.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/webhook/extend_envelope.hpp"

namespace batchrun::webhook {

namespace {
// At most one endpoint-view sync (one ListOffsets request for webhooks.endpoints, ≈ 2 ms) starts
// per interval; the events read meanwhile share the next one. Bounds the broker's cost under load
// to 100 requests a second, and what routing waits for to about an interval plus two syncs.
constexpr int64_t kViewSyncIntervalMs = 10;
constexpr int kPollMs = 20;

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Whether the endpoint gets any run event: if not, nothing of a batch can be outstanding for it and
// its batch.completed need not wait.
bool wantsRunEvents(const WebhookEndpoint& e) {
  for (const char* type : {event_type::kStarted, event_type::kRetrying, event_type::kCompleted, event_type::kFailed,
                           event_type::kCancelled, event_type::kTimedOut}) {
    if (endpointWants(e, type) && dialectWants(e.dialect, type)) return true;
  }
  return false;
}
}  // namespace

Result<std::unique_ptr<EventConsumer>> EventConsumer::create(const Config& config, const Topics& topics,
                                                             EndpointView& view, ViewSync view_sync,
                                                             Deliverer& deliverer, SenderMetrics& metrics,
                                                             Clock& clock, PoisonRecords& poison) {
  std::unique_ptr<EventConsumer> self(
      new EventConsumer(config, topics, view, std::move(view_sync), deliverer, metrics, clock, poison));
  ConsumerOptions opts;
  opts.group_id = config.group_id;
  opts.assignment_strategy = "range";
  auto consumer = Consumer::create(config.service.kafka, opts, self.get());
  if (!consumer) return consumer.error();
  self->consumer_ = std::move(*consumer);
  self->wake_queue_ = rd_kafka_queue_get_consumer(self->consumer_->handle());
  if (auto st = self->consumer_->subscribe({topics.events}); !st) return st.error();
  return self;
}

EventConsumer::EventConsumer(const Config& config, const Topics& topics, EndpointView& view, ViewSync view_sync,
                             Deliverer& deliverer, SenderMetrics& metrics, Clock& clock, PoisonRecords& poison)
    : config_(config),
      topics_(topics),
      view_(view),
      deliverer_(deliverer),
      metrics_(metrics),
      clock_(clock),
      poison_(poison),
      batcher_(
          [sync = std::move(view_sync), &seconds = metrics.view_sync](std::function<void()> done) {
            sync([&seconds, done = std::move(done), start = std::chrono::steady_clock::now()] {
              seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
              done();
            });
          },
          kViewSyncIntervalMs,
          // A finished sync wakes the loop's poll at once rather than after it times out.
          [this] { rd_kafka_queue_yield(wake_queue_); }) {}

EventConsumer::~EventConsumer() {
  stopReading();
  finish();
  batcher_.detach();  // a sync still in flight must not touch the queue below once it is gone
  if (wake_queue_) rd_kafka_queue_destroy(wake_queue_);
}

void EventConsumer::start() { thread_ = std::thread([this] { loop(); }); }

void EventConsumer::stopReading() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventConsumer::finish() {
  if (finished_ || !consumer_) return;
  finished_ = true;
  drainSettled();
  batcher_.clear();  // never routed, never stored: read again after a restart
  consumer_->close();  // commits what was stored
}

void EventConsumer::onAssigned(const std::vector<TopicPartition>& parts) {
  for (const auto& tp : parts) {
    epochs_[tp] = ++next_epoch_;
    tracker_.reset(tp);
  }
}

void EventConsumer::onRevoked(const std::vector<TopicPartition>& parts) {
  drainSettled();  // store everything that settled before the partitions move
  for (const auto& tp : parts) {
    epochs_.erase(tp);
    tracker_.drop(tp);
  }
}

void EventConsumer::loop() {
  while (!stop_.load()) {
    drainSettled();
    for (auto& r : batcher_.take(steadyMs())) {
      TopicPartition tp{r.m.topic(), r.m.partition()};
      auto e = epochs_.find(tp);
      if (e == epochs_.end() || e->second != r.epoch) continue;  // revoked since: the new owner reads it again
      try {
        route(r.m);
      } catch (const std::exception& ex) {
        // A bug, not bad input: do not store the offset, so the event comes back after a restart.
        log::error("event handling threw", {{"error", ex.what()}, {"offset", std::to_string(r.m.offset())}});
      }
    }
    auto pending = tracker_.pending() + static_cast<int64_t>(batcher_.waiting());
    metrics_.pending_events.set(static_cast<double>(pending));
    if (pending >= config_.delivery.max_pending_events) {
      // Memory bound: wait for settlements instead of reading on. Slow endpoints cannot cause
      // this (their first attempts are deferred to webhooks.retry); a stalled Kafka can.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    int64_t until_sync = batcher_.msUntilNextRequest(steadyMs());
    Message m = consumer_->poll(static_cast<int>(std::min<int64_t>(kPollMs, until_sync)));
    if (!m) continue;
    if (m.isError()) {
      if (m.error() != RD_KAFKA_RESP_ERR__PARTITION_EOF) log::warn("events read error", {{"error", m.errorString()}});
      continue;
    }
    auto e = epochs_.find({m.topic(), m.partition()});
    if (e == epochs_.end()) continue;  // not assigned (any more)
    uint64_t epoch = e->second;
    batcher_.add({std::move(m), epoch});
  }
}


void EventConsumer::route(const Message& m) {
  metrics_.events.inc();
  TopicPartition tp{m.topic(), m.partition()};
  auto project = m.header(header::kProject);
  auto id = m.header(header::kId);
  auto type = m.header(header::kType);
  std::string poison;
  if (!project || !id || !type || id->empty()) {
    poison = "event without ce_id/ce_type/batchrun_project headers";
  } else {
    poison = eventBodyProblem(m.value());  // the body goes out as is: receivers must be able to read it
  }
  if (!poison.empty()) {
    poison_.report(m, poison);
    tracker_.add(tp, m.offset(), 0);
    return store(tp, tracker_.advance(tp));
  }
  std::vector<EndpointPtr> targets;
  for (auto& e : view_.forProject(std::string(*project))) {
    if (!e->disabled && endpointWants(*e, *type) && dialectWants(e->dialect, *type)) targets.push_back(std::move(e));
  }
  tracker_.add(tp, m.offset(), static_cast<int>(targets.size()));
  if (targets.empty()) return store(tp, tracker_.advance(tp));
  auto traceparent = m.header(header::kTraceparent);
  auto batch = m.header(header::kBatchId);
  const bool batch_completed = *type == event_type::kBatchCompleted && batch && !batch->empty();
  uint64_t epoch = epochs_[tp];
  for (const auto& e : targets) {
    WebhookDelivery d;
    d.endpoint_id = e->id;
    d.project = std::string(*project);
    d.event_id = std::string(*id);
    d.event_type = std::string(*type);
    if (batch) d.batch_id = std::string(*batch);
    if (traceparent) d.traceparent = std::string(*traceparent);
    d.body = bodyForDialect(e->dialect, d.event_id, d.event_type, m.value());  // Extend envelope: compat.md
    d.attempt = 1;
    d.event_at = m.timestampMs();
    if (batch_completed && wantsRunEvents(*e)) {
      hold(std::move(d), tp, m.offset(), epoch);
      continue;
    }
    deliverer_.submit(std::move(d), Deliverer::Origin::kEvent,
                      [this, tp, off = m.offset(), epoch](Outcome) { settleLater(tp, off, epoch); });
  }
}

void EventConsumer::hold(WebhookDelivery d, const TopicPartition& tp, int64_t offset, uint64_t epoch) {
  // Due now, but the RetryConsumer that owns the endpoint's partition releases a first attempt of
  // batch.completed only when none of the batch's run-event deliveries to it is outstanding.
  d.due_at = clock_.nowMs();
  std::string key = d.endpoint_id;
  deliverer_.produceDurably({topics_.webhook_retry, std::move(key), encodeWebhookDelivery(d), {}},
                            [this, tp, offset, epoch] { settleLater(tp, offset, epoch); });
}

void EventConsumer::settleLater(const TopicPartition& tp, int64_t offset, uint64_t epoch) {
  std::lock_guard lock(mu_);
  settled_.push_back({tp, offset, epoch});
}

void EventConsumer::drainSettled() {
  std::vector<Settlement> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(settled_);
  }
  for (const auto& s : batch) {
    auto e = epochs_.find(s.tp);
    if (e == epochs_.end() || e->second != s.epoch) continue;  // from before a rebalance: the new owner redoes it
    store(s.tp, tracker_.settle(s.tp, s.offset));
  }
}

void EventConsumer::store(const TopicPartition& tp, std::optional<int64_t> next) {
  if (next) consumer_->storeOffset(tp, *next);
}

}  // namespace batchrun::webhook
