#pragma once
// Sends the failure callbacks of runs that ended failed or timed_out (the request:
// failure_callback_request.hpp). One POST per run once its terminal record is durable, tried again
// with exponential backoff on a connection error, a timeout, 408, 429 or 5xx, up to `attempts`
// tries; any other answer, an invalid URL or an address the outbound policy refuses ends it.
// The run's status is final before the first try, so nothing here can change it: outcomes are
// only counted (batchrun_dispatcher_failure_callbacks_total{result}) and logged.
//
// Never on the dispatch path: send() queues and returns; requests are built and retries timed on
// this class's own thread, and go out through the dispatcher's HttpClient (libcurl multi, the same
// OutboundPolicy as worker calls: private addresses refused at connect time unless allowed).
// Thread-safe. In memory only: a callback not delivered when the process stops is lost (logged).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/dispatcher/worker/retry_policy.hpp"

namespace batchrun::dispatcher {

// Whether a callback try that got `r` is worth another try.
bool callbackRetryable(const HttpResult& r);

class FailureCallbacks {
 public:
  struct Options {
    int attempts = 3;
    RetryPolicy retry;
    long timeout_ms = 10000;
    std::string secret;  // BATCHRUN_WORKER_SECRET; empty: unsigned
  };
  struct Counters {
    Counter& delivered;
    Counter& retried;
    Counter& failed;
  };

  FailureCallbacks(Options options, HttpClient& http, Counters counters);
  ~FailureCallbacks();
  FailureCallbacks(const FailureCallbacks&) = delete;
  FailureCallbacks& operator=(const FailureCallbacks&) = delete;

  // Queues the callback of `run` (terminal, failure_callback set). `worker_url`: where the run was
  // sent; `answer`: the worker's answer that decided the failure, or null.
  void send(Run run, std::string worker_url, std::shared_ptr<const HttpResult> answer);
  // Stops retrying and waits up to wait_ms for tries in flight; call before the HttpClient stops.
  void stop(int64_t wait_ms);

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    Run run;
    std::string worker_url;
    std::shared_ptr<const HttpResult> answer;
    std::string body;  // built on the first try
    int tries = 0;
  };

  void loop();
  void tryOnce(const std::shared_ptr<Job>& job);
  void onAnswer(const std::shared_ptr<Job>& job, const HttpResult& r);

  const Options options_;
  HttpClient& http_;
  Counters counters_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> ready_;                      // guarded by mu_
  std::multimap<Clock::time_point, std::shared_ptr<Job>> later_;  // guarded by mu_: retries
  size_t in_flight_ = 0;                                        // guarded by mu_
  bool stopping_ = false;                                       // guarded by mu_
  std::thread thread_;  // last: its loop uses everything above
};

}  // namespace batchrun::dispatcher
