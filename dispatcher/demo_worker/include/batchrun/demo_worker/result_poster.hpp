#pragma once
// Posts async runs' results to <api>/v1/runs/{id}/result with the API's bearer key, on one thread
// of its own (libcurl easy, connection reused). Transient failures (connection error, 408, 429, 5xx)
// are retried with backoff through the Timer, 404 and 409 a few times (a lagging API instance);
// done(true|false) is called once per job. What docs/worker-contract says real workers should do.
// Thread-safe.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "batchrun/demo_worker/timer.hpp"

namespace batchrun::demo_worker {

struct ResultJob {
  std::string run_id;
  std::string body;
  int attempt = 0;                   // posting attempts so far
  std::function<void(bool)> done;    // called once: true when the API took the result
};

class ResultPoster {
 public:
  ResultPoster(std::string api_url, std::string api_key, Timer& timer);
  ~ResultPoster();
  ResultPoster(const ResultPoster&) = delete;
  ResultPoster& operator=(const ResultPoster&) = delete;

  void post(ResultJob job);
  void stop();

 private:
  void loop();
  // Returns the HTTP status (0 on a connection error) and fills error.
  long send(const ResultJob& job, std::string& error);

  std::string api_url_;
  std::string api_key_;
  Timer& timer_;
  void* curl_ = nullptr;  // CURL*, used only by the poster thread
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ResultJob> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: it uses the members above
};

inline constexpr int kMaxResultPostAttempts = 20;
inline constexpr int kMaxStaleResultPostAttempts = 4;

}  // namespace batchrun::demo_worker
