#include "batchrun/webhook/retry_consumer.hpp"

#include <algorithm>

#include "batchrun/common/logging.hpp"
#include "batchrun/common/records/events.hpp"

namespace batchrun::webhook {

namespace {
constexpr int64_t kNotCaughtUpRecheckMs = 50;
constexpr int kMaxPollMs = 20;
std::string entryKey(const std::string& endpoint_id, const std::string& event_id) {
  return endpoint_id + " " + event_id;
}
}  // namespace

Result<std::unique_ptr<RetryConsumer>> RetryConsumer::create(const Config& config, const Topics& topics,
                                                             EndpointView& view, Deliverer& deliverer,
                                                             Producer& producer, SenderMetrics& metrics, Clock& clock,
                                                             PoisonRecords& poison) {
  std::unique_ptr<RetryConsumer> self(new RetryConsumer(config, topics, view, deliverer, producer, metrics, clock, poison));
  auto probe = SettledProbe::create(config.service.kafka, topics, config.group_id);
  if (!probe) return probe.error();
  self->probe_ = std::move(*probe);
  ConsumerOptions opts;
  opts.group_id = config.group_id + "-retry";
  // EOF tells us a partition has been replayed to its end: only then is its schedule complete.
  opts.overrides = {{"enable.partition.eof", "true"}};
  auto consumer = Consumer::create(config.service.kafka, opts, self.get());
  if (!consumer) return consumer.error();
  self->consumer_ = std::move(*consumer);
  if (auto st = self->consumer_->subscribe({topics.webhook_retry}); !st) return st.error();
  return self;
}

RetryConsumer::RetryConsumer(const Config& config, const Topics& topics, EndpointView& view, Deliverer& deliverer,
                             Producer& producer, SenderMetrics& metrics, Clock& clock, PoisonRecords& poison)
    : config_(config), topics_(topics), view_(view), deliverer_(deliverer), producer_(producer),
      metrics_(metrics), clock_(clock), poison_(poison) {}

RetryConsumer::~RetryConsumer() {
  stopReading();
  finish();
}

void RetryConsumer::start() { thread_ = std::thread([this] { loop(); }); }

void RetryConsumer::stopReading() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  replays_.clear();  // stops unfinished scans; their requests stay uncommitted and run again later
}

void RetryConsumer::finish() {
  if (finished_ || !consumer_) return;
  finished_ = true;
  drainCompletions();
  consumer_->close();
}

void RetryConsumer::onAssigned(const std::vector<TopicPartition>& parts) {
  for (const auto& tp : parts) {
    Partition p;
    p.epoch = ++next_epoch_;
    // EOF alone could come late on a partition that never goes quiet; the watermark bounds it.
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(consumer_->handle(), tp.topic.c_str(), tp.partition, &low, &high, 5000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      p.catch_up_to = high;
      p.caught_up = high <= low;
    }
    parts_[tp] = std::move(p);
    tracker_.reset(tp);
  }
}

void RetryConsumer::onRevoked(const std::vector<TopicPartition>& parts) {
  drainCompletions();
  for (const auto& tp : parts) {
    parts_.erase(tp);
    tracker_.drop(tp);
    std::string prefix = std::to_string(tp.partition) + "/";
    for (auto it = replays_.begin(); it != replays_.end();) {
      it = it->first.rfind(prefix, 0) == 0 ? replays_.erase(it) : std::next(it);
    }
  }
  updateBacklog();
}

void RetryConsumer::post(Completion c) {
  std::lock_guard lock(mu_);
  completions_.push_back(std::move(c));
}

void RetryConsumer::settle(const TopicPartition& tp, int64_t offset) {
  if (auto next = tracker_.settle(tp, offset)) consumer_->storeOffset(tp, *next);
}

void RetryConsumer::loop() {
  while (!stop_.load()) {
    drainCompletions();
    releaseHolds();
    fireDue();
    for (auto it = replays_.begin(); it != replays_.end();) {
      it = it->second->finished() ? replays_.erase(it) : std::next(it);
    }
    int wait = kMaxPollMs;
    if (!timers_.empty()) {
      wait = static_cast<int>(std::clamp<int64_t>(timers_.top().due_at - clock_.nowMs(), 0, kMaxPollMs));
    }
    Message m = consumer_->poll(wait);
    if (m) {
      if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (auto p = parts_.find({m.topic(), m.partition()}); p != parts_.end()) {
          p->second.caught_up = true;
          p->second.position = std::max(p->second.position, m.offset());  // EOF's offset: the end
        }
      } else if (m.isError()) {
        log::warn("retry topic read error", {{"error", m.errorString()}});
      } else {
        try {
          handle(m);
        } catch (const std::exception& e) {
          log::error("retry record handling threw", {{"error", e.what()}, {"offset", std::to_string(m.offset())}});
        }
      }
    }
    updateBacklog();
  }
}

void RetryConsumer::handle(const Message& m) {
  TopicPartition tp{m.topic(), m.partition()};
  auto pit = parts_.find(tp);
  if (pit == parts_.end()) return;  // not ours (any more)
  Partition& part = pit->second;
  int64_t off = m.offset();
  part.position = std::max(part.position, off + 1);
  if (!part.caught_up && part.catch_up_to >= 0 && off + 1 >= part.catch_up_to) part.caught_up = true;
  auto rec = decodeWebhookRecord(m.value());
  if (!rec || rec->kind == WebhookRetryRecord::Kind::kDead) {
    if (!rec) poison_.report(m, rec.error().message);
    tracker_.add(tp, off, 0);
    if (auto next = tracker_.advance(tp)) consumer_->storeOffset(tp, *next);
    return;
  }
  switch (rec->kind) {
    case WebhookRetryRecord::Kind::kDelivery: {
      auto& d = rec->delivery;
      std::string key = entryKey(d.endpoint_id, d.event_id);
      tracker_.add(tp, off, 1);
      auto it = part.entries.find(key);
      if (it != part.entries.end()) {
        // One chain per (endpoint, event): a record not newer than the pending one is a duplicate
        // (a replay of an event still being retried, or a record read again after a restart).
        if (it->second.d.attempt >= d.attempt) return settle(tp, off);
        // Superseded. An in-flight record is settled by its own completion instead.
        if (!it->second.in_flight) settle(tp, it->second.offset);
        untrack(part, it);
      }
      return track(tp, part, std::move(key), std::move(d), off);
    }
    case WebhookRetryRecord::Kind::kDone: {
      tracker_.add(tp, off, 0);
      if (auto next = tracker_.advance(tp)) consumer_->storeOffset(tp, *next);
      auto it = part.entries.find(entryKey(rec->done.endpoint_id, rec->done.event_id));
      if (it != part.entries.end() && !it->second.in_flight && it->second.d.attempt <= rec->done.attempt) {
        settle(tp, it->second.offset);
        untrack(part, it);
      }
      return;
    }
    case WebhookRetryRecord::Kind::kReplay: {
      tracker_.add(tp, off, 1);
      std::string id = std::to_string(tp.partition) + "/" + std::to_string(off);
      uint64_t epoch = part.epoch;
      log::info("replay requested", {{"replay_id", rec->replay.replay_id}, {"endpoint_id", rec->replay.endpoint_id}});
      replays_[id] = std::make_unique<ReplayScanner>(
          config_.service.kafka, topics_, view_, producer_, rec->replay, [this, tp, epoch, off](bool ok) {
            if (!ok) {
              // Left unsettled: the request is read again after the next restart or rebalance.
              log::error("replay failed; it will run again when this partition is next assigned", {});
              return;
            }
            post({Completion::Kind::kSettleOnly, tp, epoch, {}, off, Outcome::kDelivered});
          });
      return;
    }
    case WebhookRetryRecord::Kind::kDead:
      return;
  }
}

void RetryConsumer::track(const TopicPartition& tp, Partition& part, std::string key, WebhookDelivery d,
                          int64_t offset) {
  const bool batch_completed = d.event_type == event_type::kBatchCompleted;
  // Only a first attempt waits: once released and tried, its retries follow the schedule.
  const bool held = batch_completed && d.attempt == 1 && !d.batch_id.empty();
  // A successor of a rescheduled chain was never closed (untrack), so it is not opened again.
  if (!batch_completed && !d.batch_id.empty() && part.awaiting.erase(key) == 0) {
    part.holds.opened(d.endpoint_id, d.batch_id);
  }
  if (held) part.holds.hold(key, d.endpoint_id, d.batch_id, probe_->take());
  int64_t due = d.due_at;
  auto& entry = part.entries[key];
  entry = Entry{std::move(d), offset, false, held};
  if (!held) timers_.push({due, tp, std::move(key), offset});
}

void RetryConsumer::untrack(Partition& part, std::map<std::string, Entry>::iterator it, bool rescheduled) {
  const WebhookDelivery& d = it->second.d;
  if (it->second.held) {
    part.holds.forget(it->first);
  } else if (d.event_type != event_type::kBatchCompleted && !d.batch_id.empty()) {
    // Closing it until its next record is read would let a held batch.completed go in between.
    if (rescheduled) part.awaiting.insert(it->first); else part.holds.closed(d.endpoint_id, d.batch_id);
  }
  part.entries.erase(it);
}

void RetryConsumer::releaseHolds() {
  int64_t now = clock_.nowMs();
  for (auto& [tp, part] : parts_) {
    if (part.holds.size() == 0 || !part.caught_up) continue;
    auto passed = [this, partition = tp.partition](uint64_t ticket, int64_t& retry_end) {
      return probe_->passed(ticket, partition, retry_end);
    };
    for (const auto& key : part.holds.release(passed, part.position)) {
      auto it = part.entries.find(key);
      if (it == part.entries.end()) continue;
      it->second.held = false;
      timers_.push({now, tp, key, it->second.offset});
    }
  }
}

void RetryConsumer::fireDue() {
  int64_t now = clock_.nowMs();
  std::vector<Timer> later;
  while (!timers_.empty() && timers_.top().due_at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    auto pit = parts_.find(t.tp);
    if (pit == parts_.end()) continue;
    auto it = pit->second.entries.find(t.key);
    if (it == pit->second.entries.end() || it->second.offset != t.offset || it->second.in_flight) continue;
    if (!pit->second.caught_up) {
      // A newer record or a done mark for it may still be ahead in the partition.
      t.due_at = now + kNotCaughtUpRecheckMs;
      later.push_back(std::move(t));
      continue;
    }
    it->second.in_flight = true;
    deliverer_.submit(it->second.d, Deliverer::Origin::kRetry,
                      [this, tp = t.tp, epoch = pit->second.epoch, key = t.key, off = t.offset](Outcome o) {
                        post({Completion::Kind::kDelivery, tp, epoch, key, off, o});
                      });
  }
  for (auto& t : later) timers_.push(std::move(t));
}

void RetryConsumer::drainCompletions() {
  std::vector<Completion> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(completions_);
  }
  for (auto& c : batch) {
    auto pit = parts_.find(c.tp);
    if (pit == parts_.end() || pit->second.epoch != c.epoch) continue;  // revoked since
    if (c.kind == Completion::Kind::kSettleOnly) {
      settle(c.tp, c.offset);
      continue;
    }
    auto& entries = pit->second.entries;
    auto it = entries.find(c.key);
    bool current = it != entries.end() && it->second.offset == c.offset;
    WebhookDone done;
    if (current) {
      done = {it->second.d.endpoint_id, it->second.d.event_id, it->second.d.attempt};
      untrack(pit->second, it, c.outcome == Outcome::kRescheduled);
    }
    if (c.outcome == Outcome::kRescheduled || !current) {
      // The successor record is in the topic already (or a newer chain replaced this one).
      settle(c.tp, c.offset);
      continue;
    }
    // Finished: a done mark keeps a rebuild from attempting it again, then the offset may go.
    deliverer_.produceDurably({topics_.webhook_retry, done.endpoint_id, encodeWebhookDone(done), {}},
                              [this, tp = c.tp, epoch = c.epoch, off = c.offset] {
                                post({Completion::Kind::kSettleOnly, tp, epoch, {}, off, Outcome::kDelivered});
                              });
  }
}

void RetryConsumer::updateBacklog() {
  size_t n = 0, held = 0;
  for (const auto& [tp, p] : parts_) {
    n += p.entries.size();
    held += p.holds.size();
  }
  backlog_ = n;
  metrics_.retry_backlog.set(static_cast<double>(n));
  metrics_.held_batches.set(static_cast<double>(held));
}

}  // namespace batchrun::webhook
