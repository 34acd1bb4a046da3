#include "batchrun/dispatcher/worker/failure_callbacks.hpp"

#include <random>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/http/destination_url.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/dispatcher/worker/failure_callback_request.hpp"

namespace batchrun::dispatcher {

bool callbackRetryable(const HttpResult& r) {
  if (r.status == 0) return !r.blocked;  // connection error or timeout; a refused address stays refused
  return r.status == 408 || r.status == 429 || r.status >= 500;
}

FailureCallbacks::FailureCallbacks(Options options, HttpClient& http, Counters counters)
    : options_(std::move(options)), http_(http), counters_(counters), thread_([this] { loop(); }) {}

FailureCallbacks::~FailureCallbacks() { stop(0); }

void FailureCallbacks::send(Run run, std::string worker_url, std::shared_ptr<const HttpResult> answer) {
  auto job = std::make_shared<Job>();
  job->run = std::move(run);
  job->worker_url = std::move(worker_url);
  job->answer = std::move(answer);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    ready_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void FailureCallbacks::stop(int64_t wait_ms) {
  std::unique_lock lock(mu_);
  if (!stopping_) {
    stopping_ = true;
    cv_.notify_all();
  }
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return in_flight_ == 0; });
  size_t lost = ready_.size() + later_.size() + in_flight_;
  ready_.clear();
  later_.clear();
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  if (lost > 0) log::warn("failure callbacks not delivered at shutdown", {{"count", std::to_string(lost)}});
}

void FailureCallbacks::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    std::vector<std::shared_ptr<Job>> due(ready_.begin(), ready_.end());
    ready_.clear();
    while (!later_.empty() && later_.begin()->first <= now) {
      due.push_back(std::move(later_.begin()->second));
      later_.erase(later_.begin());
    }
    if (due.empty()) {
      if (later_.empty()) {
        // A retry scheduled from an answer counts too: it may be due before anything new arrives.
        cv_.wait(lock, [this] { return stopping_ || !ready_.empty() || !later_.empty(); });
      } else {
        cv_.wait_until(lock, later_.begin()->first);
      }
      continue;
    }
    in_flight_ += due.size();
    lock.unlock();
    for (const auto& job : due) tryOnce(job);
    lock.lock();
  }
}

void FailureCallbacks::tryOnce(const std::shared_ptr<Job>& job) {
  if (job->tries == 0) {
    // The run's URL was checked by ingest; check it again without DNS (the connect-time
    // OutboundPolicy decides about addresses), so a bad record cannot make curl do odd things.
    if (auto st = checkDestinationUrl(job->run.failure_callback, {true, true, true}); !st) {
      HttpResult refused;
      refused.blocked = true;
      refused.error = "failure_callback " + st.error().message;
      onAnswer(job, refused);
      return;
    }
    job->body = failureCallbackBody(job->run, job->worker_url, job->answer.get());
    job->answer.reset();  // its body may be large and is in `body` now
  }
  ++job->tries;
  HttpRequest req = buildFailureCallbackRequest(job->run, job->body, options_.secret, options_.timeout_ms,
                                                SystemClock::instance().nowMs());
  http_.submit(std::move(req), [this, job](HttpResult&& r) { onAnswer(job, r); });
}

void FailureCallbacks::onAnswer(const std::shared_ptr<Job>& job, const HttpResult& r) {
  // On the HttpClient's thread (or the loop's, for a refused URL): decide, never block.
  const bool ok = r.status >= 200 && r.status < 300;
  // Read before the job is queued again: from then on the loop may be retrying it (++tries).
  const int tried = job->tries;
  bool again = !ok && callbackRetryable(r) && tried < options_.attempts;
  std::string why = r.status ? "http_" + std::to_string(r.status) : r.error;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (stopping_ && again) {
      again = false;
      why += " (shutting down)";
    }
    if (again) {
      static thread_local std::mt19937_64 rng{std::random_device{}()};
      double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      later_.emplace(Clock::now() + std::chrono::milliseconds(options_.retry.delayMs(tried, unit)), job);
    }
  }
  cv_.notify_all();
  const std::string tries = std::to_string(tried);
  if (ok) {
    counters_.delivered.inc();
    log::info("failure callback delivered", {{"run_id", job->run.run_id}, {"tries", tries}});
  } else if (again) {
    counters_.retried.inc();
    log::info("failure callback failed; retrying", {{"run_id", job->run.run_id}, {"tries", tries}, {"error", why}});
  } else {
    counters_.failed.inc();
    log::warn("failure callback gave up", {{"run_id", job->run.run_id}, {"tries", tries}, {"error", why}});
  }
}

}  // namespace batchrun::dispatcher
