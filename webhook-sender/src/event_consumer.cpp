#include "batchrun/webhook/event_consumer.hpp"

#include <chrono>

#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/webhook/extend_envelope.hpp"

namespace batchrun::webhook {

Result<std::unique_ptr<EventConsumer>> EventConsumer::create(const Config& config, const Topics& topics,
                                                             EndpointView& view, Deliverer& deliverer,
                                                             SenderMetrics& metrics) {
  std::unique_ptr<EventConsumer> self(new EventConsumer(config, topics, view, deliverer, metrics));
  ConsumerOptions opts;
  opts.group_id = config.group_id;
  opts.assignment_strategy = "range";
  auto consumer = Consumer::create(config.service.kafka, opts, self.get());
  if (!consumer) return consumer.error();
  self->consumer_ = std::move(*consumer);
  if (auto st = self->consumer_->subscribe({topics.events}); !st) return st.error();
  return self;
}

EventConsumer::EventConsumer(const Config& config, const Topics& topics, EndpointView& view, Deliverer& deliverer,
                             SenderMetrics& metrics)
    : config_(config), topics_(topics), view_(view), deliverer_(deliverer), metrics_(metrics) {}

EventConsumer::~EventConsumer() {
  stopReading();
  finish();
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
    metrics_.pending_events.set(static_cast<double>(tracker_.pending()));
    if (tracker_.pending() >= config_.delivery.max_pending_events) {
      // Memory bound: wait for settlements instead of reading on. Slow endpoints cannot cause
      // this (their first attempts are deferred to webhooks.retry); a stalled Kafka can.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    Message m = consumer_->poll(20);
    if (!m) continue;
    if (m.isError()) {
      if (m.error() != RD_KAFKA_RESP_ERR__PARTITION_EOF) log::warn("events read error", {{"error", m.errorString()}});
      continue;
    }
    try {
      handle(m);
    } catch (const std::exception& e) {
      // A bug, not bad input: do not store the offset, so the event comes back after a restart.
      log::error("event handling threw", {{"error", e.what()}, {"offset", std::to_string(m.offset())}});
    }
  }
}

void EventConsumer::handle(const Message& m) {
  metrics_.events.inc();
  TopicPartition tp{m.topic(), m.partition()};
  auto project = m.header(header::kProject);
  auto id = m.header(header::kId);
  auto type = m.header(header::kType);
  if (!project || !id || !type || id->empty()) {
    log::warn("event without ce_id/ce_type/batchrun_project headers skipped",
              {{"partition", std::to_string(m.partition())}, {"offset", std::to_string(m.offset())}});
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
  uint64_t epoch = epochs_[tp];
  for (const auto& e : targets) {
    WebhookDelivery d;
    d.endpoint_id = e->id;
    d.project = std::string(*project);
    d.event_id = std::string(*id);
    d.event_type = std::string(*type);
    if (traceparent) d.traceparent = std::string(*traceparent);
    d.body = bodyForDialect(e->dialect, d.event_id, d.event_type, m.value());  // Extend envelope: compat.md
    d.attempt = 1;
    d.event_at = m.timestampMs();
    deliverer_.submit(std::move(d), Deliverer::Origin::kEvent, [this, tp, off = m.offset(), epoch](Outcome) {
      std::lock_guard lock(mu_);
      settled_.push_back({tp, off, epoch});
    });
  }
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
