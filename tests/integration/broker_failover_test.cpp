// Issue 26: one broker of three dies (kill -9) while clients submit continuously, and nobody notices
// more than a delay. On its own 3-broker KRaft cluster (RF 3, min.insync.replicas 2: the brokers'
// defaults, which the topics take when replication is not configured), with an in-process ingest
// and a dispatcher process: zero 503s (or any other non-202) during and after the kill, every
// accepted run is on its lane topic afterwards, and every /readyz poll of ingest and of the
// dispatcher during the failover answered 200 within a kubelet's default probe timeout. Prints how
// much the answers were delayed (docs/performance.md, "Broker failover").
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/records/run.hpp"
#include "http.hpp"
#include "ingest_support.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

const int kPort = 26000;  // brokers on 26000, 26002, 26004 (controllers one above each)
const std::string kDir = "/tmp/batchrun-broker-failover-test";
const std::string kBrokers = "127.0.0.1:26000,127.0.0.1:26002,127.0.0.1:26004";

int kafka(const std::string& args) {
  std::string cmd = sourceDir() + "/scripts/kafka " + args + " --dir " + kDir + " >>" + kDir + ".log 2>&1";
  return std::system(cmd.c_str());
}

class BrokerFailover : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kafka("stop");
    std::system(("rm -rf " + kDir).c_str());
    ASSERT_EQ(kafka("start --brokers 3 --port " + std::to_string(kPort)), 0) << "see " << kDir << ".log";
  }
  static void TearDownTestSuite() { kafka("stop"); }
};

struct PartitionInfo {
  int32_t leader = -1;  // -1: none
  int replicas = 0;
};

// Leader and replica count of every partition of these topics, from a metadata request.
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
        out[{t, p.id}] = PartitionInfo{p.err ? -1 : p.leader, p.replica_cnt};
      }
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
  }
  rd_kafka_destroy(rk);
  return out;
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Answer {
  Steady::time_point sent, answered;
  long status = 0;
};

// Median, p99 and maximum delay of the answers that pass `pick`.
template <typename Pick>
std::string summary(const std::vector<Answer>& answers, Pick pick) {
  std::vector<double> d;
  for (const auto& a : answers) {
    if (pick(a)) d.push_back(ms(a.answered - a.sent));
  }
  if (d.empty()) return "none";
  std::sort(d.begin(), d.end());
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu answers, median %.1f ms, p99 %.1f ms, max %.1f ms", d.size(), d[d.size() / 2],
                d[std::min(d.size() - 1, d.size() * 99 / 100)], d.back());
  return buf;
}

}  // namespace

TEST_F(BrokerFailover, KillingOneBrokerOfThreeDelaysAnswersButRefusesNothingAndLosesNothing) {
  IngestOptions o;
  o.brokers = kBrokers;
  o.create_topics = false;
  o.partitions = 6;  // two partitions led by each broker
  IngestHarness h(o);
  // Replication and min ISR unset: the brokers' defaults (scripts/kafka --brokers 3: 3 and 2).
  ASSERT_EQ(h.settings.replication_factor, -1);
  ASSERT_TRUE(ensureTopics(h.settings, standardTopics(h.settings)));
  h.startIngest();
  const int dispatcher_port = freePort();
  ChildProcess dispatcher(binDir() + "/batchrun-dispatcher",
                          {{"BATCHRUN_KAFKA_BROKERS", kBrokers},
                           {"BATCHRUN_TOPIC_PREFIX", h.settings.topic_prefix},
                           {"BATCHRUN_KAFKA_PARTITIONS", std::to_string(o.partitions)},
                           {"BATCHRUN_DISPATCHER_PORT", std::to_string(dispatcher_port)},
                           {"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"},
                           {"BATCHRUN_WORKER_SECRET", "test-worker-secret"}});
  const std::string ready_url = h.base() + "/readyz";
  const std::string dispatcher_ready_url = "http://127.0.0.1:" + std::to_string(dispatcher_port) + "/readyz";
  ASSERT_TRUE(waitFor([&] { return httpGet(dispatcher_ready_url).status == 200; }, 120s)) << dispatcher.log();

  // The victim leads the most lane and run-index partitions: its writes must move to a new leader.
  std::vector<std::string> written = h.topics.laneTopics();
  written.push_back(h.topics.run_index);
  std::map<int32_t, int> led;
  for (const auto& [tp, info] : partitions(written)) {
    EXPECT_EQ(info.replicas, 3) << tp.first << " has the brokers' default.replication.factor";
    ++led[info.leader];
  }
  ASSERT_FALSE(led.empty());
  const int32_t victim = std::max_element(led.begin(), led.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  ASSERT_GE(victim, 1);
  ASSERT_LE(victim, 3);

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Answer> answers, probes, dispatcher_probes;
  std::set<std::string> accepted;
  std::map<long, int> refused;  // status → count, anything but 202
  std::string first_refusal;
  std::atomic<int> answered{0};

  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      HttpConnection conn(h.port());
      const std::string body = batchBody(20);
      for (int i = 0; !stop.load(); ++i) {
        Answer a;
        a.sent = Steady::now();
        auto r = conn.request("POST", "/v1/batches", body,
                              IngestHarness::jsonHeaders(kIngestKey, "c" + std::to_string(c) + "-" + std::to_string(i)));
        a.answered = Steady::now();
        a.status = r.status;
        std::lock_guard lock(mu);
        answers.push_back(a);
        if (r.status == 202) {
          rapidjson::Document d;
          d.Parse(r.body.c_str());
          if (!d.HasParseError() && d.HasMember("runs")) {
            for (const auto& run : d["runs"].GetArray()) accepted.insert(run["run_id"].GetString());
          }
        } else {
          ++refused[r.status];
          if (first_refusal.empty()) first_refusal = std::to_string(r.status) + " " + r.body;
        }
        answered.fetch_add(1);
      }
    });
  }
  // Readiness probes as a kubelet sends them: every 100 ms, its default timeout of one second.
  auto probe = [&](const std::string& url, std::vector<Answer>& into) {
    return std::thread([&, url] {
      while (!stop.load()) {
        Answer a;
        a.sent = Steady::now();
        a.status = httpRequest("GET", url, {}, {}, 1000).status;
        a.answered = Steady::now();
        {
          std::lock_guard lock(mu);
          into.push_back(a);
        }
        std::this_thread::sleep_for(100ms);  // the probe period, not a synchronisation point
      }
    });
  };
  std::thread prober = probe(ready_url, probes);
  std::thread dispatcher_prober = probe(dispatcher_ready_url, dispatcher_probes);

  ASSERT_TRUE(waitFor([&] { return answered.load() >= 100; }, 60s)) << "submissions did not get going";
  const auto killed_at = Steady::now();
  std::ifstream pidfile(kDir + "/broker-" + std::to_string(victim) + "/pid");
  pid_t pid = 0;
  pidfile >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);

  // The failover is over once no partition the ingest writes is led by the dead broker (or by no
  // one); then the clients keep going for a few hundred more answers.
  ASSERT_TRUE(waitFor([&] {
    for (const auto& [tp, info] : partitions(written)) {
      if (info.leader == victim || info.leader < 0) return false;
    }
    return true;
  }, 120s, 200ms)) << "partitions were not moved off broker " << victim;
  const auto moved_at = Steady::now();
  const int after_move = answered.load();
  ASSERT_TRUE(waitFor([&] { return answered.load() >= after_move + 200; }, 120s)) << "submissions stalled";
  stop = true;
  for (auto& t : clients) t.join();
  prober.join();
  dispatcher_prober.join();

  std::printf("killed broker %d (leader of %d of %zu partitions); leaders moved after %.0f ms\n", victim, led[victim],
              partitions(written).size(), ms(moved_at - killed_at));
  std::printf("answered before the kill: %s\n",
              summary(answers, [&](const Answer& a) { return a.answered < killed_at; }).c_str());
  std::printf("in flight at the kill or sent before the leaders moved: %s\n",
              summary(answers, [&](const Answer& a) { return a.answered >= killed_at && a.sent < moved_at; }).c_str());
  std::printf("sent after the leaders moved: %s\n",
              summary(answers, [&](const Answer& a) { return a.sent >= moved_at; }).c_str());
  auto during = [&](const Answer& a) { return a.sent >= killed_at && a.sent < moved_at; };
  std::printf("ingest /readyz polls from the kill until the leaders moved: %s\n", summary(probes, during).c_str());
  std::printf("dispatcher /readyz polls then: %s\n", summary(dispatcher_probes, during).c_str());

  for (const auto& [status, count] : refused) std::printf("refused with %ld: %d\n", status, count);
  EXPECT_TRUE(refused.empty()) << "first refusal: " << first_refusal;
  for (const auto* polls : {&probes, &dispatcher_probes}) {
    const char* who = polls == &probes ? "ingest" : "dispatcher";
    int probes_during = 0;
    for (const auto& p : *polls) {
      if (p.sent < killed_at) continue;
      ++probes_during;
      EXPECT_EQ(p.status, 200) << "a " << who << " /readyz poll " << ms(p.sent - killed_at)
                               << " ms after the kill did not answer ready within its second";
    }
    EXPECT_GT(probes_during, 0) << who;
  }

  // Every run a client was told is accepted is on its lane topic.
  std::set<std::string> in_kafka;
  for (const auto& rec : h.readLanes()) {
    if (!rec.value) continue;
    if (auto run = decodeRun(*rec.value)) in_kafka.insert(run->run_id);
  }
  std::vector<std::string> missing;
  std::set_difference(accepted.begin(), accepted.end(), in_kafka.begin(), in_kafka.end(), std::back_inserter(missing));
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << accepted.size() << " accepted runs are not in Kafka, e.g. "
                               << missing.front();
  EXPECT_GT(accepted.size(), 0u);
}
