// bench/e2e for the dispatcher (docs/performance.md, "Dispatcher"); not a test. In one process: a
// dispatcher App, an always-200 Pistache worker, a producer writing run requests to the lane topics
// as ingest does, and a follower timing workflow_run.completed events. After a warm-up batch (the
// broker's JIT and the dispatcher's worker connections; unmeasured), measures
//   1. runs/s from submission to `completed` (N runs submitted at once): overall, and the steady
//      rate between the 10th and the 90th percentile of completions (a short burst's overall rate
//      is mostly the pipeline filling and draining),
//   2. p50/p99 submit → workflow_run.completed at half the steady rate,
//   3. the latency of one priority-1 run submitted behind a bulk backlog.
// Needs a broker: BATCHRUN_KAFKA_BROKERS (default 127.0.0.1:9092). Sizes: BENCH_WARMUP (20000),
// BENCH_RUNS (100000), BENCH_BACKLOG (100000), BENCH_SECONDS (10); BENCH_MAX_INFLIGHT: the
// dispatcher's cap on runs in flight (1000); BENCH_MAX_UNACKED_OUTCOMES: its cap on outcomes
// waiting for Kafka (the dispatcher's default); BENCH_LOG: its log level (warn).
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <rapidjson/document.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "batchrun/dispatcher/app.hpp"

using namespace batchrun;

namespace {

int64_t nowMs() { return SystemClock::instance().nowMs(); }
int envInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : def;
}

struct Completions {
  std::mutex mu;
  std::unordered_map<std::string, int64_t> at;  // run_id → when its completed event was seen
  std::vector<int64_t> times;                   // the same times, in arrival order
  std::atomic<size_t> count{0};
  void add(std::string id) {
    std::lock_guard lock(mu);
    const int64_t t = nowMs();
    if (at.emplace(std::move(id), t).second) {
      times.push_back(t);
      ++count;
    }
  }
  // Completions per second between the from-th and the to-th completion (indexes into `times`).
  double rate(size_t from, size_t to) {
    std::lock_guard lock(mu);
    if (to >= times.size() || to <= from || times[to] <= times[from]) return 0;
    return static_cast<double>(to - from) * 1000.0 / static_cast<double>(times[to] - times[from]);
  }
  int64_t get(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = at.find(id);
    return it == at.end() ? -1 : it->second;
  }
};

double processCpuSeconds() {
  rusage use{};
  getrusage(RUSAGE_SELF, &use);
  return static_cast<double>(use.ru_utime.tv_sec + use.ru_stime.tv_sec) +
         static_cast<double>(use.ru_utime.tv_usec + use.ru_stime.tv_usec) / 1e6;
}

Run makeRun(const KafkaSettings& k, int priority, int partitions) {
  Run r;
  r.run_id = uuidv7();
  r.project = "bench";
  r.workflow_id = "echo";
  r.input = R"({"n":1})";
  r.priority = priority;
  r.lane = laneFor(k.lanes, priority).name;
  r.created_at = nowMs();
  r.partition = static_cast<int32_t>(std::hash<std::string>{}(r.run_id) % static_cast<size_t>(partitions));
  return r;
}

void submit(Producer& p, const Topics& t, const Run& r) {
  OutMessage m;
  m.topic = t.requested(r.lane);
  m.key = r.run_id;
  m.value = encodeRun(r);
  m.partition = r.partition;
  while (!p.produce(std::move(m), nullptr, nullptr)) {
    p.flush(10);
    m.topic = t.requested(r.lane);
    m.key = r.run_id;
    m.value = encodeRun(r);
    m.partition = r.partition;
  }
}

bool waitUntil(const std::function<bool()>& f, int seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!f()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

int main() {
  log::init("bench-dispatcher", std::getenv("BENCH_LOG") ? std::getenv("BENCH_LOG") : "warn");
  KafkaSettings k;
  if (const char* b = std::getenv("BATCHRUN_KAFKA_BROKERS")) k.brokers = b;
  // The id's random tail: its first 8 characters are the time in 65 s steps, so two runs a minute
  // apart shared topics and the second rebuilt (and re-announced) the first's runs.
  k.topic_prefix = "bench" + uuidv7().substr(24) + ".";
  k.partitions = 6;
  Topics topics(k);
  if (auto st = ensureTopics(k, standardTopics(k)); !st) {
    std::fprintf(stderr, "topics: %s\n", st.error().message.c_str());
    return 1;
  }
  // The worker: 200 {"ok":true} for every run.
  Pistache::Rest::Router router;
  Pistache::Rest::Routes::Post(router, "/echo", [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter rw) {
    rw.send(Pistache::Http::Code::Ok, R"({"ok":true})");
    return Pistache::Rest::Route::Result::Ok;
  });
  Pistache::Http::Endpoint worker(Pistache::Address("127.0.0.1", Pistache::Port(0)));
  worker.init(Pistache::Http::Endpoint::options().threads(1).flags(Pistache::Tcp::Options::ReuseAddr));
  worker.setHandler(router.handler());
  worker.serveThreaded();
  std::string url = "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(worker.getPort())) + "/echo";

  auto producer = Producer::create(k);
  if (!producer) return 1;
  Workflow w;
  w.project = "bench";
  w.workflow_id = "echo";
  w.endpoint = url;
  OutMessage reg{topics.workflows, w.key(), encodeWorkflow(w), {}, RD_KAFKA_PARTITION_UA};
  (void)(*producer)->produceSync(std::move(reg));

  Completions done;
  auto follower = TopicFollower::start(k, {topics.events}, [&](const Message& m) {
    auto type = m.header("ce_type");
    if (!type || *type != "workflow_run.completed") return;
    done.add(std::string(m.key()));
  });
  if (!follower) return 1;

  dispatcher::Config cfg;
  cfg.service.kafka = k;
  cfg.service.http_port = 0;
  cfg.allow_private_destinations = true;
  cfg.max_inflight = envInt("BENCH_MAX_INFLIGHT", 1000);
  cfg.max_unacked_outcomes = envInt("BENCH_MAX_UNACKED_OUTCOMES", cfg.max_unacked_outcomes);
  dispatcher::App app(cfg);
  if (auto st = app.start(); !st) {
    std::fprintf(stderr, "dispatcher: %s\n", st.error().message.c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(12));  // benchmark, not a test: let the group settle

  // 0. Warm-up, unmeasured.
  const int warmup = envInt("BENCH_WARMUP", 20000);
  for (int i = 0; i < warmup; ++i) submit(**producer, topics, makeRun(k, 90, k.partitions));
  (*producer)->flush(60000);
  waitUntil([&] { return done.count.load() >= static_cast<size_t>(warmup); }, 600);

  // 1. Throughput.
  const int n = envInt("BENCH_RUNS", 100000);
  const size_t base = done.count.load();
  const double cpu0 = processCpuSeconds();
  int64_t t0 = nowMs();
  for (int i = 0; i < n; ++i) submit(**producer, topics, makeRun(k, 90, k.partitions));
  (*producer)->flush(60000);
  waitUntil([&] { return done.count.load() >= base + static_cast<size_t>(n); }, 600);
  double secs = (nowMs() - t0) / 1000.0;
  const double steady = done.rate(base + static_cast<size_t>(n) / 10, base + static_cast<size_t>(n) * 9 / 10);
  // This process's CPU (dispatcher, worker, the submitting producer, the follower) per run; the
  // broker's is not in it.
  const double cpu_per_run = (processCpuSeconds() - cpu0) / n * 1e6;
  std::printf("throughput: %d runs submit->completed in %.2f s = %.0f runs/s; steady (10th-90th percentile) %.0f runs/s; "
              "process cpu %.0f us/run\n",
              n, secs, n / secs, steady, cpu_per_run);

  // 2. Latency at half the steady rate.
  int seconds = envInt("BENCH_SECONDS", 10);
  int per_tick = std::max(1, static_cast<int>(steady / 2 / 100));  // 100 ticks per second
  std::vector<Run> paced;
  auto start = std::chrono::steady_clock::now();
  for (int tick = 0; tick < seconds * 100; ++tick) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * tick));
    for (int j = 0; j < per_tick; ++j) {
      paced.push_back(makeRun(k, 50, k.partitions));
      submit(**producer, topics, paced.back());
    }
  }
  (*producer)->flush(60000);
  // Every earlier run has completed, so the count says when the paced ones have (looking each one
  // up while waiting would take a core from the dispatcher being measured).
  waitUntil([&] { return done.count.load() >= base + static_cast<size_t>(n) + paced.size(); }, 600);
  std::vector<int64_t> lat;
  for (auto& r : paced) lat.push_back(done.get(r.run_id) - r.created_at);
  std::sort(lat.begin(), lat.end());
  std::printf("latency at %d runs/s: p50 %lld ms, p99 %lld ms (%zu runs)\n", per_tick * 100,
              static_cast<long long>(lat[lat.size() / 2]), static_cast<long long>(lat[lat.size() * 99 / 100]), lat.size());

  // 3. A priority-1 run behind a bulk backlog.
  int backlog = envInt("BENCH_BACKLOG", 100000);
  size_t before = done.count.load();
  for (int i = 0; i < backlog; ++i) submit(**producer, topics, makeRun(k, 95, k.partitions));
  (*producer)->flush(120000);
  Run urgent = makeRun(k, 1, k.partitions);
  submit(**producer, topics, urgent);
  (*producer)->flush(10000);
  waitUntil([&] { return done.get(urgent.run_id) >= 0; }, 600);
  size_t backlog_done = done.count.load() - before;
  std::printf("priority-1 run behind a %d-run bulk backlog: %lld ms submit->completed (%zu bulk runs done by then)\n",
              backlog, static_cast<long long>(done.get(urgent.run_id) - urgent.created_at), backlog_done);
  waitUntil([&] { return done.count.load() >= before + static_cast<size_t>(backlog) + 1; }, 900);
  app.stop();
  follower->get()->stop();
  worker.shutdown();
  return 0;
}
