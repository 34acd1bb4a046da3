#include "batchrun/webhook/deliverer.hpp"

#include <algorithm>

#include "batchrun/common/logging.hpp"
#include "batchrun/common/http/webhook_signature.hpp"

namespace batchrun::webhook {

namespace {
constexpr int64_t kFirstPauseMs = 1000;
constexpr int64_t kMaxPauseMs = 60'000;
constexpr int64_t kReproduceAfterMs = 1000;
}  // namespace

const char* toString(Outcome o) {
  switch (o) {
    case Outcome::kDelivered: return "delivered";
    case Outcome::kRescheduled: return "rescheduled";
    case Outcome::kDeadLettered: return "dead_lettered";
    case Outcome::kDropped: return "dropped";
  }
  return "?";
}

Deliverer::Deliverer(const DeliveryConfig& config, const Topics& topics, EndpointView& view, Producer& producer,
                     HttpClient& http, SenderMetrics& metrics, Clock& clock)
    : config_(config),
      schedule_(config.schedule_ms, config.jitter_percent),
      topics_(topics),
      view_(view),
      producer_(producer),
      http_(http),
      metrics_(metrics),
      clock_(clock),
      pump_([this] { pumpLoop(); }) {}

Deliverer::~Deliverer() { stop(); }

void Deliverer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (pump_.joinable()) pump_.join();
}

size_t Deliverer::queued() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& id : waiting_) n += gates_.at(id).queue.size();
  return n;
}

void Deliverer::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Deliverer::submit(WebhookDelivery d, Origin origin, Settled settled) {
  auto job = std::make_shared<Job>(Job{std::move(d), origin, std::move(settled)});
  auto ep = view_.get(job->d.endpoint_id);
  int64_t now = clock_.nowMs();
  std::vector<JobPtr> ready;
  int64_t defer_until = -1;
  {
    std::lock_guard lock(mu_);
    Gate& gate = gates_[job->d.endpoint_id];
    observe(gate, ep);
    gate.failure.carry(job->d.failing_since);  // carried across restarts by retry records
    // A first attempt must not wait behind a paused, failing or saturated endpoint: hand it to
    // webhooks.retry so the event's offset can move on. Retries were already durable: they queue.
    size_t limit = gate.failure.since() ? 0 : static_cast<size_t>(config_.endpoint_queue_limit);
    bool saturated = gate.in_flight >= config_.max_in_flight_per_endpoint && gate.queue.size() >= limit;
    if (origin == Origin::kEvent && (gate.paused_until > now || saturated)) {
      defer_until = std::max(now, gate.paused_until);
    } else {
      gate.queue.push_back(job);
      release(job->d.endpoint_id, gate, now, ready);
      if (!gate.queue.empty()) waiting_.insert(job->d.endpoint_id);
    }
  }
  if (defer_until >= 0) {
    metrics_.deferred.inc();
    reschedule(job, defer_until, Outcome::kRescheduled);
    return;
  }
  for (const auto& j : ready) launch(j);
}

void Deliverer::observe(Gate& gate, const EndpointPtr& ep) {
  if (!ep || !gate.failure.observeEnabledAt(ep->enabled_at)) return;
  // Re-enabled through the API: a pause or a disable decided before no longer applies.
  gate.paused_until = 0;
  gate.slowdowns = 0;
  gate.disabled_here = false;
}

void Deliverer::release(const std::string& endpoint_id, Gate& gate, int64_t now, std::vector<JobPtr>& out) {
  if (gate.paused_until > now) return;
  auto ep = view_.get(endpoint_id);
  int rate = ep ? ep->rate_limit_per_second : 0;
  while (!gate.queue.empty() && gate.in_flight < config_.max_in_flight_per_endpoint) {
    if (rate > 0) {
      // Token bucket holding at most one second's worth.
      gate.tokens = std::min<double>(rate, gate.tokens + static_cast<double>(now - gate.tokens_at) * rate / 1000.0);
      gate.tokens_at = now;
      if (gate.tokens < 1) return;
      gate.tokens -= 1;
    }
    ++gate.in_flight;
    out.push_back(std::move(gate.queue.front()));
    gate.queue.pop_front();
  }
}

void Deliverer::launch(const JobPtr& job) {
  auto ep = view_.get(job->d.endpoint_id);
  if (!ep || ep->disabled) {
    {
      std::lock_guard lock(mu_);
      --gates_[job->d.endpoint_id].in_flight;
    }
    if (!ep) {
      job->settled(Outcome::kDropped);  // deleted: nobody to deliver to, nothing to keep
    } else {
      deadLetter(job, "endpoint disabled: " + ep->disabled_reason);
    }
    return;
  }
  int64_t now = clock_.nowMs();
  int64_t ts = now / 1000;
  HttpRequest req;
  req.url = ep->url;
  req.timeout_ms = config_.timeout_ms;
  req.body = job->d.body;
  req.headers = {{"content-type", "application/json"},
                 {"user-agent", "batchrun-webhook/0.1"},
                 {"webhook-id", job->d.event_id},
                 {"webhook-timestamp", std::to_string(ts)},
                 {"webhook-signature", webhookSignatureHeader(signingSecrets(*ep, now), job->d.event_id, ts,
                                                              job->d.body)}};
  if (!job->d.traceparent.empty()) req.headers.emplace_back("traceparent", job->d.traceparent);
  metrics_.in_flight.add(1);
  http_.submit(std::move(req), [this, job](HttpResult&& r) { onResult(job, std::move(r)); });
}

void Deliverer::onResult(const JobPtr& job, HttpResult&& r) {
  metrics_.in_flight.add(-1);
  int64_t now = clock_.nowMs();
  auto& series = metrics_.endpoint(job->d.endpoint_id);
  series.latency->observe(r.seconds);
  const std::string& id = job->d.endpoint_id;
  if (isSuccess(r.status)) {
    series.delivered->inc();
    if (job->d.event_at > 0) metrics_.lag.observe(static_cast<double>(std::max<int64_t>(0, now - job->d.event_at)) / 1000.0);
    {
      std::lock_guard lock(mu_);
      Gate& g = gates_[id];
      --g.in_flight;
      g.failure.succeed();
      g.slowdowns = 0;
      if (!g.queue.empty()) woken_ = true;
    }
    cv_.notify_one();
    job->settled(Outcome::kDelivered);
    return;
  }
  series.failed->inc();
  job->d.last_status = static_cast<int>(r.status);
  job->d.last_error = r.status ? "HTTP " + std::to_string(r.status) : (r.blocked ? "blocked: " : "") + r.error;
  std::optional<int64_t> retry_after;
  if (const auto* h = r.header("retry-after")) retry_after = parseRetryAfter(*h, now);
  if (retry_after) retry_after = std::min(*retry_after, config_.max_retry_after_ms);
  auto ep = view_.get(id);
  int64_t failing_since = 0;
  {
    std::lock_guard lock(mu_);
    Gate& g = gates_[id];
    --g.in_flight;
    // The endpoint may have been re-enabled while this attempt was out: its failure clock then
    // starts now, not at the time this job carries.
    observe(g, ep);
    g.failure.carry(job->d.failing_since);
    failing_since = g.failure.fail(now);
    if (isSlowDown(r.status) || retry_after) {
      int64_t pause = retry_after ? *retry_after : std::min(kMaxPauseMs, kFirstPauseMs << std::min(g.slowdowns, 6));
      ++g.slowdowns;
      g.paused_until = std::max(g.paused_until, now + pause);
    }
    if (!g.queue.empty()) woken_ = true;
  }
  cv_.notify_one();
  job->d.failing_since = failing_since;

  if (ep && !ep->disabled && (r.status == 410 || now - failing_since >= config_.disable_after_ms)) {
    std::string reason = r.status == 410 ? "endpoint answered 410 Gone"
                                         : "failing continuously since " + formatRfc3339(failing_since);
    disable(*ep, reason);
    deadLetter(job, reason);
    return;
  }
  auto delay = schedule_.delayBefore(job->d.attempt + 1);
  // A refused destination is policy, not a transient failure: retrying for days cannot help.
  if (!delay || r.blocked) {
    deadLetter(job, job->d.last_error);
    return;
  }
  job->d.attempt += 1;
  metrics_.retries.inc();
  reschedule(job, now + std::max(*delay, retry_after.value_or(0)), Outcome::kRescheduled);
}

void Deliverer::reschedule(const JobPtr& job, int64_t due_at, Outcome outcome_if_acked) {
  WebhookDelivery d = job->d;
  d.due_at = due_at;
  produceDurably({topics_.webhook_retry, d.endpoint_id, encodeWebhookDelivery(d), {}},
                 [job, outcome_if_acked] { job->settled(outcome_if_acked); });
}

void Deliverer::deadLetter(const JobPtr& job, const std::string& reason) {
  WebhookDelivery d = job->d;
  d.failed_at = clock_.nowMs();
  if (d.last_error.empty()) d.last_error = reason;
  log::warn("webhook dead-lettered",
            {{"endpoint_id", d.endpoint_id}, {"event_id", d.event_id}, {"attempt", std::to_string(d.attempt)},
             {"reason", reason}});
  produceDurably({topics_.webhook_dlq, d.endpoint_id, encodeWebhookDead(d), {}}, [this, job] {
    metrics_.dead_lettered.inc();
    job->settled(Outcome::kDeadLettered);
  });
}

void Deliverer::disable(const WebhookEndpoint& ep, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    Gate& g = gates_[ep.id];
    if (g.disabled_here) return;
    g.disabled_here = true;
  }
  WebhookEndpoint e = ep;
  disableEndpoint(e, reason, clock_.nowMs());
  log::warn("webhook endpoint disabled", {{"endpoint_id", e.id}, {"project", e.project}, {"reason", reason}});
  view_.upsert(e);  // at once: queued deliveries to it are dead-lettered, not attempted
  metrics_.disabled.inc();
  produceDurably({topics_.endpoints, e.id, encodeEndpoint(e), {}}, {});
  produceDurably(makeEndpointDisabledEvent(topics_.events, e, clock_.nowMs()), {});
}

void Deliverer::produceDurably(OutMessage msg, std::function<void()> on_acked) {
  produceNow(std::make_unique<PendingProduce>(PendingProduce{std::move(msg), std::move(on_acked), 0}));
}

void Deliverer::produceNow(std::unique_ptr<PendingProduce> p) {
  OutMessage copy = p->msg;  // kept for a retry: produce() consumes its argument
  auto* raw = p.release();
  if (auto st = producer_.produce(std::move(copy), this, raw); !st) {
    log::warn("webhook record not enqueued, retrying", {{"topic", raw->msg.topic}, {"error", st.error().message}});
    raw->retry_at = clock_.nowMs() + kReproduceAfterMs;
    std::lock_guard lock(mu_);
    reproduce_.emplace_back(raw);
  }
}

void Deliverer::onDelivery(const DeliveryReport& report, void* tag) {
  std::unique_ptr<PendingProduce> p(static_cast<PendingProduce*>(tag));
  if (report.ok) {
    if (p->on_acked) p->on_acked();
    return;
  }
  // Nothing is settled until Kafka has it: try again shortly (the producer thread must not block).
  log::warn("webhook record not acknowledged, retrying", {{"topic", p->msg.topic}, {"error", report.error}});
  p->retry_at = clock_.nowMs() + kReproduceAfterMs;
  std::lock_guard lock(mu_);
  reproduce_.push_back(std::move(p));
}

void Deliverer::pumpLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // Paused and rate-limited endpoints need time to pass, not an event: poll them every 10 ms.
    cv_.wait_for(lock, std::chrono::milliseconds(10), [this] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) break;
    int64_t now = clock_.nowMs();
    std::vector<JobPtr> ready;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      Gate& g = gates_[*it];
      release(*it, g, now, ready);
      it = g.queue.empty() ? waiting_.erase(it) : std::next(it);
    }
    std::vector<std::unique_ptr<PendingProduce>> again;
    for (auto it = reproduce_.begin(); it != reproduce_.end();) {
      if ((*it)->retry_at <= now) {
        again.push_back(std::move(*it));
        it = reproduce_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (const auto& j : ready) launch(j);
    for (auto& p : again) produceNow(std::move(p));
    lock.lock();
  }
}

}  // namespace batchrun::webhook
