#pragma once
// The demo worker: answers runs POSTed to any path as their input asks (behaviour.hpp), holding
// the answer on a Timer when "sleep_ms" says so, posting async results through a ResultPoster, and
// counting everything in Stats (GET /stats, POST /stats/reset; GET /healthz and /readyz for
// scripts). Concurrency key: the batchrun-concurrency-key header, else the input's
// "concurrency_key". Thread-safe; start once, stop once.
#include <memory>

#include "batchrun/common/result.hpp"
#include "batchrun/demo_worker/behaviour.hpp"
#include "batchrun/demo_worker/config.hpp"
#include "batchrun/demo_worker/http_server.hpp"
#include "batchrun/demo_worker/result_poster.hpp"
#include "batchrun/demo_worker/stats.hpp"
#include "batchrun/demo_worker/timer.hpp"

namespace batchrun::demo_worker {

class Worker {
 public:
  explicit Worker(Config config);
  ~Worker();
  Status start();
  void stop();
  uint16_t port() const { return server_.port(); }

  // Called by the HTTP handler for a run.
  void handleRun(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter rw);
  Stats& stats() { return stats_; }

 private:
  void answer(const std::shared_ptr<Pistache::Http::ResponseWriter>& rw, const Behaviour& b,
              int64_t attempt, const std::string& run_id, const std::string& key);

  Config config_;
  Stats stats_;
  Timer timer_;
  ResultPoster poster_;
  HttpServer server_;  // last: its handler calls into the members above
};

}  // namespace batchrun::demo_worker
