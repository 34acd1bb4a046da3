// Issue 26, the chaos test: the whole system on its own 3-broker cluster (ports 26100-26105) —
// batchrun-ingest, batchrun-dispatcher, batchrun-webhook-sender and batchrun-demo-worker as
// processes, a signature-checking webhook receiver registered through the API — takes 13 batches
// of 1,000 runs (POST /v1/batches with an Idempotency-Key): one as a warm-up, whose webhooks must
// all arrive, then three per phase while, in turn, one broker, the dispatcher, the webhook-sender
// and ingest are killed with SIGKILL and started again. A broker phase lets its three batches go at
// once and kills once the first is accepted; the other phases submit one batch, kill, and submit
// two more while the victim is down or coming back.
// Asserts: every accepted run reaches a terminal status (the batch reads completed, every run
// completed) and its workflow_run.completed webhook reached the receiver at least once with a valid
// signature; every run was executed, and the runs executed more than once stay within
// docs/operations.md's bound (MAX_INFLIGHT + MAX_UNACKED_OUTCOMES for the one dispatcher kill); no
// answer but 202 from ingest from the broker's kill until the next phase (the client retries
// connection errors and 503s with the same Idempotency-Key, which only ingest's own kill causes).
// No timing is asserted; lines starting with "[chaos]" give the recovery times and duplicate
// counts (bench/chaos/run.sh prints them; docs/performance.md, "Chaos"). BATCHRUN_CHAOS_KEEP_LOGS=1
// keeps every service's log in /tmp/batchrun-chaos-test/logs (always kept when the test failed).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/dispatcher/state/state_reader.hpp"
#include "dispatcher/harness.hpp"
#include "http.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "prometheus_text.hpp"
#include "wait.hpp"
#include "webhook/receiver.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

const int kPort = 26100;  // brokers on 26100, 26102, 26104 (controllers one above each)
const std::string kDir = "/tmp/batchrun-chaos-test";
const std::string kBrokers = "127.0.0.1:26100,127.0.0.1:26102,127.0.0.1:26104";
const std::string kApiKey = "chaos-key";
const std::string kProject = "chaos";
constexpr int kBatchSize = 1000;
constexpr int kBatchesPerPhase = 3;
constexpr int kWarmup = 1;  // batches run before the first kill
constexpr int kMaxInflight = 200;  // BATCHRUN_DISPATCHER_MAX_INFLIGHT: a bound well under a batch
constexpr int kMaxUnacked = 64;    // BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES (the default)

int kafka(const std::string& args) {
  std::string cmd = sourceDir() + "/scripts/kafka " + args + " --dir " + kDir + " >>" + kDir + ".log 2>&1";
  return std::system(cmd.c_str());
}

pid_t brokerPid(int broker) {
  std::ifstream pidfile(kDir + "/broker-" + std::to_string(broker) + "/pid");
  pid_t pid = 0;
  pidfile >> pid;
  return pid;
}

bool listening(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Starts broker N (1-based) unless it runs, and waits until its process is alive and its port
// answers. Its port can be taken for a while: a broker killed at the end of the previous run (the
// TearDownTestSuite stop kills a broker that does not stop within 20 s) leaves connections in
// TIME_WAIT on it for a minute, and the port lies in the kernel's ephemeral range, so another
// program's connection can hold it too. The broker then dies at start-up ("Address already in
// use") — while the controller still lists it, so scripts/kafka may even report it up. Start it
// again until it stays, for up to three minutes.
bool startBroker(int broker) {
  const int port = kPort + 2 * (broker - 1);
  auto alive = [&] { return brokerPid(broker) > 0 && ::kill(brokerPid(broker), 0) == 0; };
  const auto deadline = Steady::now() + 180s;
  for (int attempt = 1; Steady::now() < deadline; ++attempt) {
    if (!alive()) kafka("start-broker " + std::to_string(broker));
    if (waitFor([&] { return !alive() || listening(port); }, 60s, 100ms) && alive() && listening(port)) return true;
    std::fprintf(stderr, "broker %d did not come up (attempt %d), starting it again\n", broker, attempt);
  }
  return false;
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct PartitionInfo {
  int32_t leader = -1;  // -1: none
  int isr = 0;
};

// Leader and in-sync replica count of every partition of these topics, from a metadata request.
std::map<std::pair<std::string, int32_t>, PartitionInfo> partitions(const std::vector<std::string>& topics) {
  std::map<std::pair<std::string, int32_t>, PartitionInfo> out;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", kBrokers.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) return out;
  for (const auto& t : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, t.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        const auto& p = md->topics[0].partitions[i];
        out[{t, p.id}] = PartitionInfo{p.err ? -1 : p.leader, p.isr_cnt};
      }
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
  }
  rd_kafka_destroy(rk);
  return out;
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

// One POST /v1/batches attempt as the client saw it.
struct Attempt {
  int batch = 0;
  std::string phase;
  Steady::time_point sent, answered;
  long status = 0;  // 0: no answer (connection refused or reset, timeout)
  std::string body;
};

struct AcceptedBatch {
  std::string batch_id;
  std::vector<std::string> run_ids;
  bool deduplicated = false;
};

class Chaos : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kafka("stop");
    std::system(("rm -rf " + kDir).c_str());
    // Fails when a broker could not bind its port (startBroker says why); the others keep running.
    if (kafka("start --brokers 3 --port " + std::to_string(kPort)) != 0) {
      std::fprintf(stderr, "scripts/kafka start failed (see %s.log); starting the missing brokers again\n", kDir.c_str());
    }
    for (int b = 1; b <= 3; ++b) ASSERT_TRUE(startBroker(b)) << "broker " << b << ", see " << kDir;
  }
  static void TearDownTestSuite() { kafka("stop"); }

  void SetUp() override {
    kafka_.brokers = kBrokers;
    kafka_.topic_prefix = "chaos" + uuidv7().substr(24) + ".";
    kafka_.partitions = 3;
    topics_ = std::make_unique<Topics>(kafka_);
    // Replication unset: the brokers' defaults (scripts/kafka --brokers 3: RF 3, min ISR 2).
    auto st = ensureTopics(kafka_, standardTopics(kafka_));
    ASSERT_TRUE(st.ok()) << st.error().message;
    std::vector<std::string> names;
    for (const auto& spec : standardTopics(kafka_)) names.push_back(spec.name);
    ASSERT_TRUE(waitFor([&] {
      auto ps = partitions(names);
      if (ps.size() < names.size()) return false;
      for (const auto& [tp, info] : ps) {
        if (info.isr < 3) return false;
      }
      return true;
    }, 60s, 200ms)) << "the topics are not on all three brokers";
    ingest_port_ = freePort();
  }

  std::map<std::string, std::string> commonEnv() const {
    return {{"BATCHRUN_KAFKA_BROKERS", kBrokers},
            {"BATCHRUN_TOPIC_PREFIX", kafka_.topic_prefix},
            {"BATCHRUN_KAFKA_PARTITIONS", std::to_string(kafka_.partitions)},
            {"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"},
            {"BATCHRUN_WEBHOOK_ALLOW_HTTP", "true"}};
  }
  std::unique_ptr<ChildProcess> startIngest() {
    auto env = commonEnv();
    env["BATCHRUN_INGEST_PORT"] = std::to_string(ingest_port_);
    env["BATCHRUN_API_KEYS"] = sha256Hex(kApiKey) + ":" + kProject;
    return std::make_unique<ChildProcess>(binDir() + "/batchrun-ingest", env);
  }
  std::unique_ptr<ChildProcess> startDispatcher() {
    auto env = commonEnv();
    dispatcher_port_ = freePort();
    env["BATCHRUN_DISPATCHER_PORT"] = std::to_string(dispatcher_port_);
    env["BATCHRUN_WORKER_SECRET"] = "chaos-worker-secret";
    env["BATCHRUN_DISPATCHER_RETRY_BASE_MS"] = "100";
    env["BATCHRUN_DISPATCHER_MAX_INFLIGHT"] = std::to_string(kMaxInflight);
    env["BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES"] = std::to_string(kMaxUnacked);
    return std::make_unique<ChildProcess>(binDir() + "/batchrun-dispatcher", env);
  }
  std::unique_ptr<ChildProcess> startSender() {
    auto env = commonEnv();
    sender_port_ = freePort();
    env["BATCHRUN_WEBHOOK_PORT"] = std::to_string(sender_port_);
    env["BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS"] = "0,200,1000,3000,10000,30000";
    return std::make_unique<ChildProcess>(binDir() + "/batchrun-webhook-sender", env);
  }
  std::string ingestUrl(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(ingest_port_) + path; }
  static bool ready(int port) { return httpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/readyz", {}, {}, 2000).status == 200; }
  std::map<std::string, std::string> auth() const {
    return {{"Authorization", "Bearer " + kApiKey}, {"Content-Type", "application/json"}};
  }

  // Runs whose latest durable record in runs.state is `running`: what the next dispatcher executes
  // again (docs/operations.md, "Re-execution after a crash").
  std::set<std::string> runningInState() {
    std::map<std::string, batchrun::Run> latest;
    std::vector<int32_t> parts;
    for (int32_t p = 0; p < kafka_.partitions; ++p) parts.push_back(p);
    auto st = dispatcher::readPartitionsToEnd(kafka_, topics_->state, parts, [&](const Message& m) {
      auto run = decodeRun(m.value());
      if (run && (latest.count(run->run_id) == 0 || latest[run->run_id].version <= run->version)) latest[run->run_id] = *run;
    });
    EXPECT_TRUE(st.ok());
    std::set<std::string> out;
    for (auto& [id, run] : latest) {
      if (run.status == RunStatus::kRunning) out.insert(id);
    }
    return out;
  }

  KafkaSettings kafka_;
  std::unique_ptr<Topics> topics_;
  int ingest_port_ = 0, dispatcher_port_ = 0, sender_port_ = 0;
};

std::string batchBody(int batch) {
  std::string body = R"({"workflow_id":"demo","runs":[)";
  for (int i = 0; i < kBatchSize; ++i) {
    if (i) body += ',';
    body += R"({"input":{"sleep_ms":2,"b":)" + std::to_string(batch) + R"(,"i":)" + std::to_string(i) + "}}";
  }
  return body + "]}";
}

int workerTotal(DemoWorker& worker) {
  auto d = parse(httpRequest("GET", worker.url("/stats"), {}, {}, 10000).body);
  return !d.HasParseError() && d.IsObject() && d.HasMember("total") ? d["total"].GetInt() : -1;
}

}  // namespace

TEST_F(Chaos, KillEachPartInTurnUnderLoadLosesNoRunAndDeliversEveryWebhook) {
  const auto test_started = Steady::now();
  DemoWorker worker;
  Receiver receiver;
  // Every instance, the killed ones too: their logs are written to kDir/logs when the test failed.
  std::vector<std::pair<std::string, std::unique_ptr<ChildProcess>>> dead;
  struct KeepLogs {
    std::function<void()> f;
    ~KeepLogs() { f(); }
  };
  auto ingest = startIngest();
  ASSERT_TRUE(waitFor([&] { return ready(ingest_port_); }, 120s)) << ingest->log();

  // The workflow and the webhook endpoint, through the API.
  auto wf = httpRequest("PUT", ingestUrl("/v1/workflows/demo"),
                        R"({"endpoint":")" + worker.url("/run") + R"(","timeout_seconds":60,"max_attempts":5})", auth());
  ASSERT_TRUE(wf.status == 200 || wf.status == 201) << wf.status << " " << wf.body;
  auto ep = httpRequest("POST", ingestUrl("/v1/webhook-endpoints"),
                        R"({"url":")" + receiver.url("chaos") + R"(","event_types":["workflow_run.completed"]})", auth());
  ASSERT_EQ(ep.status, 201) << ep.body;
  auto epd = parse(ep.body);
  ASSERT_TRUE(epd.IsObject() && epd.HasMember("secret")) << ep.body;
  receiver.expectSecrets("chaos", {epd["secret"].GetString()});

  auto dispatcher = startDispatcher();
  auto sender = startSender();
  ASSERT_TRUE(waitFor([&] { return ready(dispatcher_port_); }, 120s)) << dispatcher->log();
  ASSERT_TRUE(waitFor([&] { return ready(sender_port_); }, 120s)) << sender->log();

  // The victim broker leads the most partitions of what ingest writes.
  std::vector<std::string> written = topics_->laneTopics();
  written.push_back(topics_->run_index);
  written.push_back(topics_->state);
  std::vector<std::string> all_topics;
  for (const auto& spec : standardTopics(kafka_)) all_topics.push_back(spec.name);
  std::map<int32_t, int> led;
  for (const auto& [tp, info] : partitions(written)) ++led[info.leader];
  ASSERT_FALSE(led.empty());
  const int32_t victim = std::max_element(led.begin(), led.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  ASSERT_GE(victim, 1);
  ASSERT_LE(victim, 3);

  // The client: submits batch after batch up to `allowed`, each retried with its Idempotency-Key
  // until accepted (connection errors, 429 and 503 are retried; anything else ends the batch).
  std::atomic<int> allowed{0}, accepted_count{0};
  std::atomic<bool> stop{false}, in_request{false};
  std::mutex mu;
  std::string phase = "start";
  std::vector<Attempt> attempts;
  std::vector<AcceptedBatch> accepted;
  std::vector<std::string> refused;  // non-retryable answers
  auto phaseNow = [&] {
    std::lock_guard lock(mu);
    return phase;
  };
  auto setPhase = [&](const std::string& p) {
    std::lock_guard lock(mu);
    phase = p;
  };
  const std::string key_prefix = "chaos-" + kafka_.topic_prefix;
  std::thread client([&] {
    for (int b = 0; !stop.load(); ++b) {
      if (!waitFor([&] { return stop.load() || b < allowed.load(); }, 600s) || stop.load()) return;
      const std::string body = batchBody(b);
      auto headers = auth();
      headers["Idempotency-Key"] = key_prefix + std::to_string(b);
      bool done = false;
      waitFor([&] {
        if (stop.load()) return true;
        Attempt a;
        a.batch = b;
        a.phase = phaseNow();
        a.sent = Steady::now();
        in_request = true;
        auto r = httpRequest("POST", ingestUrl("/v1/batches"), body, headers, 90000);
        in_request = false;
        a.answered = Steady::now();
        a.status = r.status;
        if (r.status != 202) a.body = r.body.substr(0, 300);
        std::lock_guard lock(mu);
        attempts.push_back(a);
        if (r.status == 202) {
          auto d = parse(r.body);
          AcceptedBatch ab;
          if (!d.HasParseError() && d.IsObject() && d.HasMember("batch_id") && d.HasMember("runs")) {
            ab.batch_id = d["batch_id"].GetString();
            if (d.HasMember("deduplicated") && d["deduplicated"].IsBool()) ab.deduplicated = d["deduplicated"].GetBool();
            for (const auto& run : d["runs"].GetArray()) ab.run_ids.push_back(run["run_id"].GetString());
          }
          accepted.push_back(std::move(ab));
          accepted_count.fetch_add(1);
          done = true;
          return true;
        }
        if (r.status == 0 || r.status == 429 || r.status == 503) return false;  // retry, same key
        refused.push_back("batch " + std::to_string(b) + ": " + std::to_string(r.status) + " " + r.body.substr(0, 300));
        done = true;
        return true;
      }, 300s, 100ms);
      if (!done && !stop.load()) {
        std::lock_guard lock(mu);
        refused.push_back("batch " + std::to_string(b) + ": not accepted within 300 s");
      }
    }
  });
  struct StopClient {
    std::atomic<bool>& stop;
    std::thread& t;
    ~StopClient() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } stop_client{stop, client};
  KeepLogs keep_logs{[&] {
    if (!::testing::Test::HasFailure() && !std::getenv("BATCHRUN_CHAOS_KEEP_LOGS")) return;
    std::filesystem::remove_all(kDir + "/logs");
    std::filesystem::create_directories(kDir + "/logs");
    auto write = [&](const std::string& name, const ChildProcess& p) {
      std::ofstream(kDir + "/logs/" + name + ".log") << p.log();
    };
    for (size_t i = 0; i < dead.size(); ++i) write(dead[i].first + "-" + std::to_string(i), *dead[i].second);
    if (ingest) write("ingest", *ingest);
    if (dispatcher) write("dispatcher", *dispatcher);
    if (sender) write("webhook-sender", *sender);
    write("demo-worker", worker.process());
    std::ofstream(kDir + "/logs/webhook-sender.metrics") << httpGet("http://127.0.0.1:" + std::to_string(sender_port_) + "/metrics").body;
    std::ofstream(kDir + "/logs/dispatcher.metrics") << httpGet("http://127.0.0.1:" + std::to_string(dispatcher_port_) + "/metrics").body;
    std::fprintf(stderr, "[chaos] service logs kept in %s/logs (accepted batches %d, worker calls %d, webhooks %zu)\n",
                 kDir.c_str(), accepted_count.load(), workerTotal(worker), receiver.count("chaos"));
  }};
  auto acceptedAtLeast = [&](int n) { return waitFor([&] { return accepted_count.load() >= n; }, 300s, 50ms); };
  auto completedHits = [&] { return receiver.count("chaos"); };
  auto say = [&](const std::string& line) {
    std::printf("[chaos] %s\n", line.c_str());
    std::fflush(stdout);
  };
  char line[400];

  // Warm-up: one batch executed and its webhooks delivered before anything is killed.
  setPhase("warm-up");
  allowed = kWarmup;
  ASSERT_TRUE(acceptedAtLeast(kWarmup));
  ASSERT_TRUE(waitFor([&] { return completedHits() >= static_cast<size_t>(kWarmup * kBatchSize); }, 120s, 100ms))
      << "the warm-up batch's webhooks were not delivered";

  // Phase 1: a broker. Three batches let go at once; the kill comes once the first is accepted.
  setPhase("broker");
  allowed = kWarmup + kBatchesPerPhase;
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 1));
  const pid_t broker_pid = brokerPid(victim);
  ASSERT_GT(broker_pid, 0);
  const auto broker_killed = Steady::now();
  ASSERT_EQ(::kill(broker_pid, SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] {
    for (const auto& [tp, info] : partitions(written)) {
      if (info.leader == victim || info.leader < 0) return false;
    }
    return true;
  }, 120s, 200ms)) << "partitions were not moved off broker " << victim;
  const auto leaders_moved = Steady::now();
  const auto broker_restarted = Steady::now();
  ASSERT_TRUE(startBroker(victim)) << "see " << kDir;
  ASSERT_TRUE(waitFor([&] {
    auto ps = partitions(all_topics);
    if (ps.empty()) return false;
    for (const auto& [tp, info] : ps) {
      if (info.isr < 3) return false;
    }
    return true;
  }, 180s, 500ms)) << "broker " << victim << " did not rejoin every ISR";
  const auto broker_rejoined = Steady::now();
  ASSERT_TRUE(acceptedAtLeast(kWarmup + kBatchesPerPhase));
  std::snprintf(line, sizeof line,
                "broker %d kill -9 -> its partitions have new leaders: %.0f ms; restart -> back in every ISR: %.0f ms",
                victim, ms(leaders_moved - broker_killed), ms(broker_rejoined - broker_restarted));
  say(line);

  // Phase 2: the dispatcher, killed while executing this phase's first batch; the other two are
  // submitted while it is down.
  int executed_before = workerTotal(worker);
  setPhase("dispatcher");
  allowed = kWarmup + kBatchesPerPhase + 1;
  ASSERT_TRUE(acceptedAtLeast(kWarmup + kBatchesPerPhase + 1));
  ASSERT_TRUE(waitFor([&] { return workerTotal(worker) > executed_before + 50; }, 120s, 50ms));
  const auto dispatcher_killed = Steady::now();
  dispatcher->kill9();
  dead.emplace_back("dispatcher", std::move(dispatcher));
  const auto in_flight_at_kill = runningInState();
  allowed = kWarmup + 2 * kBatchesPerPhase;
  const int executed_at_restart = workerTotal(worker);
  dispatcher = startDispatcher();
  ASSERT_TRUE(waitFor([&] { return ready(dispatcher_port_); }, 120s)) << dispatcher->log();
  const auto dispatcher_ready = Steady::now();
  ASSERT_TRUE(waitFor([&] { return workerTotal(worker) > executed_at_restart; }, 120s, 50ms)) << dispatcher->log();
  const auto dispatcher_resumed = Steady::now();
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 2 * kBatchesPerPhase));
  std::snprintf(line, sizeof line,
                "dispatcher kill -9 -> restarted one ready: %.0f ms, executing again: %.0f ms (%zu runs `running` in "
                "runs.state at the kill)",
                ms(dispatcher_ready - dispatcher_killed), ms(dispatcher_resumed - dispatcher_killed), in_flight_at_kill.size());
  say(line);

  // Phase 3: the webhook-sender, killed while delivering.
  const size_t delivered_before = completedHits();
  setPhase("webhook-sender");
  allowed = kWarmup + 2 * kBatchesPerPhase + 1;
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 2 * kBatchesPerPhase + 1));
  ASSERT_TRUE(waitFor([&] { return completedHits() > delivered_before + 50; }, 120s, 50ms));
  const auto sender_killed = Steady::now();
  sender->kill9();
  dead.emplace_back("webhook-sender", std::move(sender));
  allowed = kWarmup + 3 * kBatchesPerPhase;
  const size_t delivered_at_restart = completedHits();
  sender = startSender();
  ASSERT_TRUE(waitFor([&] { return ready(sender_port_); }, 120s)) << sender->log();
  const auto sender_ready = Steady::now();
  ASSERT_TRUE(waitFor([&] { return completedHits() > delivered_at_restart; }, 120s, 50ms)) << sender->log();
  const auto sender_resumed = Steady::now();
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 3 * kBatchesPerPhase));
  std::snprintf(line, sizeof line, "webhook-sender kill -9 -> restarted one ready: %.0f ms, delivering again: %.0f ms",
                ms(sender_ready - sender_killed), ms(sender_resumed - sender_killed));
  say(line);

  // Phase 4: ingest, killed while the client's next request is on its way (or just answered).
  setPhase("ingest");
  allowed = kWarmup + 3 * kBatchesPerPhase + 1;
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 3 * kBatchesPerPhase + 1));
  allowed = kWarmup + 4 * kBatchesPerPhase;
  // Aimed between a write and its answer: a request on its way while ingest's producer holds
  // records (the last batch is killed as soon as it is on its way, whatever the queue holds).
  const int last_batch = kWarmup + 4 * kBatchesPerPhase - 1;
  double queued_at_kill = 0;
  ASSERT_TRUE(waitFor([&] {
    if (!in_request.load()) return false;
    if (accepted_count.load() >= last_batch) return true;
    auto metrics = httpRequest("GET", ingestUrl("/metrics"), {}, {}, 1000).body;
    queued_at_kill = seriesValue(metrics, "batchrun_ingest_producer_queue_depth").value_or(0);
    return queued_at_kill > 0;
  }, 120s, 1ms));
  const auto ingest_killed = Steady::now();
  ingest->kill9();
  dead.emplace_back("ingest", std::move(ingest));
  ingest = startIngest();
  ASSERT_TRUE(waitFor([&] { return ready(ingest_port_); }, 120s)) << ingest->log();
  const auto ingest_ready = Steady::now();
  ASSERT_TRUE(acceptedAtLeast(kWarmup + 4 * kBatchesPerPhase)) << ingest->log();
  Steady::time_point ingest_accepting;
  {
    std::lock_guard lock(mu);
    for (const auto& a : attempts) {
      if (a.status == 202 && a.answered > ingest_killed) {
        ingest_accepting = a.answered;
        break;
      }
    }
  }
  std::snprintf(line, sizeof line,
                "ingest kill -9 (a request on its way, %.0f records in the producer's queue) -> restarted one ready: %.0f "
                "ms, first 202 after the kill: %.0f ms",
                queued_at_kill, ms(ingest_ready - ingest_killed), ms(ingest_accepting - ingest_killed));
  say(line);
  setPhase("after");

  // Every accepted run reaches a terminal status and its workflow_run.completed reaches the receiver.
  std::set<std::string> accepted_runs;
  std::vector<AcceptedBatch> batches;
  {
    std::lock_guard lock(mu);
    batches = accepted;
  }
  for (const auto& b : batches) accepted_runs.insert(b.run_ids.begin(), b.run_ids.end());
  EXPECT_EQ(accepted_runs.size(), static_cast<size_t>((kWarmup + 4 * kBatchesPerPhase) * kBatchSize));
  std::map<std::string, int> completed_webhooks;  // run id → valid deliveries
  std::map<std::string, size_t> first_delivery;     // run id → index of its first delivery among all hits
  size_t invalid = 0, redelivered_by_restarted_sender = 0;
  auto collect = [&] {
    completed_webhooks.clear();
    first_delivery.clear();
    invalid = 0;
    redelivered_by_restarted_sender = 0;
    const auto hits = receiver.hits("chaos");
    for (size_t i = 0; i < hits.size(); ++i) {
      const auto& h = hits[i];
      if (!h.valid) {
        ++invalid;
        continue;
      }
      auto d = parse(h.body);
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("type") || !d.HasMember("data")) continue;
      if (std::string(d["type"].GetString()) != "workflow_run.completed") continue;
      if (!d["data"].IsObject() || !d["data"].HasMember("run_id") || !d["data"]["run_id"].IsString()) continue;
      const std::string run = d["data"]["run_id"].GetString();
      if (++completed_webhooks[run] == 1) {
        first_delivery[run] = i;
      } else if (completed_webhooks[run] == 2 && first_delivery[run] < delivered_at_restart && i >= delivered_at_restart) {
        ++redelivered_by_restarted_sender;  // delivered before the kill, again by the new instance
      }
    }
  };
  auto missingWebhooks = [&] {
    size_t missing = 0;
    for (const auto& r : accepted_runs) missing += completed_webhooks.count(r) == 0;
    return missing;
  };
  const bool all_delivered = waitFor([&] {
    if (completedHits() < accepted_runs.size()) return false;
    collect();
    return missingWebhooks() == 0;
  }, 300s, 500ms);
  collect();
  EXPECT_TRUE(all_delivered) << missingWebhooks() << " of " << accepted_runs.size()
                             << " accepted runs have no workflow_run.completed webhook";
  EXPECT_EQ(invalid, 0u) << "webhooks whose signature did not verify";

  // The read API agrees: every batch is complete, every run completed.
  for (const auto& b : batches) {
    std::string last;
    bool complete = waitFor([&] {
      auto r = httpRequest("GET", ingestUrl("/v1/batches/" + b.batch_id), {}, auth(), 10000);
      last = r.body;
      auto d = parse(r.body);
      return r.status == 200 && d.IsObject() && d.HasMember("status") && std::string(d["status"].GetString()) == "completed";
    }, 120s, 200ms);
    EXPECT_TRUE(complete) << "batch " << b.batch_id << ": " << last;
    auto d = parse(last);
    if (complete && d.HasMember("counts") && d["counts"].HasMember("completed")) {
      EXPECT_EQ(d["counts"]["completed"].GetInt(), static_cast<int>(b.run_ids.size())) << last;
    }
  }

  // Executions: each accepted run at least once; the runs executed again within the bound.
  auto by_run = worker.requestsByRun();
  size_t never = 0, again = 0, extra = 0, again_not_running = 0;
  int most = 0;
  for (const auto& r : accepted_runs) {
    int n = by_run.count(r) ? by_run[r] : 0;
    if (n == 0) ++never;
    if (n > 1) {
      ++again;
      extra += static_cast<size_t>(n - 1);
      if (!in_flight_at_kill.count(r)) ++again_not_running;
    }
    most = std::max(most, n);
  }
  EXPECT_EQ(never, 0u) << "accepted runs the worker never saw";
  const size_t bound = static_cast<size_t>(kMaxInflight + kMaxUnacked);  // one dispatcher kill
  EXPECT_LE(again, bound) << "runs executed more than once";
  size_t webhook_dups = 0;
  for (const auto& [run, n] : completed_webhooks) webhook_dups += n > 1;

  // Ingest's answers: nothing but 202 from the broker's kill until its return and the next phase.
  std::map<std::string, std::map<long, int>> by_phase;
  std::string first_broker_refusal;
  {
    std::lock_guard lock(mu);
    for (const auto& a : attempts) {
      ++by_phase[a.phase][a.status];
      if (a.phase == "broker" && a.status != 202 && first_broker_refusal.empty()) {
        first_broker_refusal = std::to_string(a.status) + " " + a.body;
      }
    }
    EXPECT_TRUE(refused.empty()) << refused.front();
  }
  EXPECT_TRUE(first_broker_refusal.empty()) << "during the broker kill: " << first_broker_refusal;
  size_t deduplicated = 0;
  for (const auto& b : batches) deduplicated += b.deduplicated;
  say("batches answered deduplicated: true (written before a kill, answered to a retry): " + std::to_string(deduplicated));
  for (const auto& [p, statuses] : by_phase) {
    std::string s;
    for (const auto& [status, n] : statuses) s += " " + std::to_string(n) + "x" + (status ? std::to_string(status) : "no-answer");
    say("ingest answers, phase " + p + ":" + s);
  }
  std::snprintf(line, sizeof line,
                "runs accepted %zu; executed more than once %zu (%zu extra executions, at most %d each; %zu of them not "
                "`running` in runs.state at the dispatcher kill); bound %zu; never executed %zu",
                accepted_runs.size(), again, extra, most, again_not_running, bound, never);
  say(line);
  std::snprintf(line, sizeof line,
                "workflow_run.completed webhooks: %zu runs covered, %zu delivered more than once (%zu of them first by the "
                "killed webhook-sender, again by the restarted one), %zu deliveries",
                completed_webhooks.size(), webhook_dups, redelivered_by_restarted_sender, receiver.count("chaos"));
  say(line);
  std::snprintf(line, sizeof line, "whole test %.0f s", ms(Steady::now() - test_started) / 1000);
  say(line);
  if (::testing::Test::HasFailure()) {
    const std::string log = dispatcher->log();
    std::fprintf(stderr, "dispatcher log tail:\n%s\n", log.substr(log.size() > 4000 ? log.size() - 4000 : 0).c_str());
  }
}
