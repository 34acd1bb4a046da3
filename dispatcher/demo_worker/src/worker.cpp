#include "batchrun/demo_worker/worker.hpp"

#include <cstdlib>

#include "batchrun/common/logging.hpp"
#include "batchrun/demo_worker/behaviour.hpp"

namespace batchrun::demo_worker {

namespace {
using Pistache::Http::Method;
using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

class WorkerHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(WorkerHandler)
  explicit WorkerHandler(Worker* worker) : worker_(worker) {}

  void onRequest(const Request& request, ResponseWriter rw) override {
    try {
      const std::string& path = request.resource();
      bool get = request.method() == Method::Get;
      if (get && (path == "/healthz" || path == "/readyz")) return sendJson(rw, 200, R"({"status":"ok"})");
      if (get && path == "/stats") return sendJson(rw, 200, worker_->stats().json());
      if (request.method() == Method::Post && path == "/stats/reset") {
        worker_->stats().reset();
        return sendJson(rw, 200, worker_->stats().json());
      }
      if (request.method() != Method::Post) {
        return sendJson(rw, 405, R"({"error":"the demo worker takes runs by POST on any path"})");
      }
      worker_->handleRun(request, std::move(rw));
    } catch (const std::exception& e) {
      log::error("demo worker request failed", {{"error", e.what()}});
    }
  }

 private:
  Worker* worker_;
};

int64_t attemptOf(const Request& request) {
  std::string v = headerValue(request, "batchrun-attempt");
  int64_t a = v.empty() ? 1 : std::strtoll(v.c_str(), nullptr, 10);
  return a > 0 ? a : 1;
}
}  // namespace

Worker::Worker(Config config)
    : config_(std::move(config)), poster_(config_.api_url, config_.api_key, timer_) {}

Worker::~Worker() { stop(); }

Status Worker::start() {
  if (auto st = server_.start(config_.host, config_.port, config_.threads, std::make_shared<WorkerHandler>(this)); !st) {
    return st;
  }
  log::info("demo worker listening", {{"address", config_.host + ":" + std::to_string(port())},
                                      {"async_results_to", config_.api_url.empty() ? "(not set)" : config_.api_url}});
  return {};
}

void Worker::stop() {
  // Pending answers hold Pistache response writers: drop them while the endpoint still exists.
  timer_.stop();
  poster_.stop();
  server_.stop();
}

void Worker::handleRun(const Request& request, ResponseWriter rw) {
  ParsedInput parsed = parseInput(request.body());
  if (!parsed.error.empty()) {
    std::string body = "{\"error\":\"";
    log::appendJsonEscaped(body, parsed.error);
    body += "\"}";
    return sendJson(rw, 400, body);
  }
  const Behaviour& b = parsed.behaviour;
  std::string run_id = headerValue(request, "batchrun-run-id");
  std::string key = headerValue(request, "batchrun-concurrency-key");
  if (key.empty()) key = b.concurrency_key;
  int64_t attempt = attemptOf(request);
  stats_.begin(run_id, key);

  auto writer = std::make_shared<ResponseWriter>(std::move(rw));
  if (b.sleep_ms <= 0) return answer(writer, b, attempt, run_id, key);
  // Hold the answer on the timer thread; the reactor thread goes back to serving other runs.
  timer_.after(std::chrono::milliseconds(b.sleep_ms),
               [this, writer, b, attempt, run_id, key] { answer(writer, b, attempt, run_id, key); });
}

void Worker::answer(const std::shared_ptr<ResponseWriter>& rw, const Behaviour& b, int64_t attempt,
                    const std::string& run_id, const std::string& key) {
  Answer a = decide(b, attempt);
  // Stop counting a run before answering: once the answer is on the wire the dispatcher may start
  // the next run of the key, and counting both would report a limit breach that never happened.
  if (!a.post_result) {
    stats_.end(key);
    sendJson(*rw, a.status, a.body);
    return;
  }
  if (config_.api_url.empty() || run_id.empty()) {
    stats_.end(key);
    sendJson(*rw, 400,
             R"({"error":"async runs need BATCHRUN_DEMO_WORKER_API (or --api) and a batchrun-run-id header"})");
    return;
  }
  sendJson(*rw, a.status, a.body);
  // The run stays in flight (and counted) until its result is sent; it stops counting just before
  // the post, for the same reason as above (the result lets the dispatcher start the next run).
  ResultJob job{run_id, resultBody(b), 0, [](bool) {}};
  timer_.after(std::chrono::milliseconds(config_.result_delay_ms),
               [this, key, j = std::make_shared<ResultJob>(std::move(job))] {
                 stats_.end(key);
                 poster_.post(std::move(*j));
               });
}

}  // namespace batchrun::demo_worker
