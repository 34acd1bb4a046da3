// The horizontal topology, tested rather than assumed (issue 25): `scripts/run start --topology lb`
// — two ingest instances behind a real nginx (compose/nginx.conf's round-robin upstream), two
// dispatchers, the webhook-sender and the demo worker on the test broker — and clients that read
// right after writing, as users do. Round robin sends a round's GETs to the other instance than its
// POST, whose read view has not necessarily followed Kafka that far yet: reads must catch up
// before they answer 404. nginx's access log shows which instance answered each request.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http.hpp"
#include "local_system.hpp"
#include "nginx_lb.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer dev-key"},
                                                  {"Content-Type", "application/json"}};

class LbTopologyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    system_ = new LocalSystem(/*lb=*/true);
    std::string log;
    int started = system_->start(log);
    if (started != 0) start_failure_ = LocalSystem::missingParts(log) + "\nscripts/run start output:\n" + log;
  }
  static void TearDownTestSuite() {
    delete system_;
    system_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_failure_.empty()) << start_failure_; }

  static HttpResponse postBatch(const std::string& runs_json) {
    return httpRequest("POST", system_->apiUrl() + "/v1/batches",
                       R"({"workflow_id":"demo","runs":)" + runs_json + "}", kAuth);
  }
  static HttpResponse get(const std::string& path) { return httpRequest("GET", system_->apiUrl() + path, {}, kAuth); }

  static LocalSystem* system_;
  static std::string start_failure_;
};
LocalSystem* LbTopologyTest::system_ = nullptr;
std::string LbTopologyTest::start_failure_;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

TEST_F(LbTopologyTest, ReadsRightAfterWritesThroughTheLoadBalancerNeverAnswer404) {
  constexpr int kRounds = 1000;
  int not_found = 0, other_failures = 0;
  std::string first_failures;
  auto note = [&](int round, const std::string& what, const HttpResponse& r) {
    (r.status == 404 ? not_found : other_failures)++;
    if (first_failures.size() < 2000) {
      first_failures += "round " + std::to_string(round) + ": " + what + " → " + std::to_string(r.status) + " " +
                        r.body + r.error + "\n";
    }
  };
  for (int i = 0; i < kRounds; ++i) {
    auto posted = postBatch(R"([{"input":{"round":)" + std::to_string(i) + "}}]");
    auto d = parse(posted.body);
    if ((posted.status != 201 && posted.status != 202) || d.HasParseError() || !d.HasMember("batch_id") ||
        !d.HasMember("runs") || !d["runs"].IsArray() || d["runs"].Empty()) {
      note(i, "POST /v1/batches", posted);
      continue;
    }
    const std::string batch_id = d["batch_id"].GetString();
    const std::string run_id = d["runs"][0]["run_id"].GetString();
    if (auto r = get("/v1/runs/" + run_id); r.status != 200) note(i, "GET /v1/runs/" + run_id, r);
    if (auto r = get("/v1/batches/" + batch_id); r.status != 200) note(i, "GET /v1/batches/" + batch_id, r);
  }
  EXPECT_EQ(not_found, 0) << first_failures;
  EXPECT_EQ(other_failures, 0) << first_failures;

  // Which instance answered what: each round is a POST followed by its GET of the run (requests are
  // sequential, so the log is in request order). Both instances served, and in many rounds the run
  // was read from the instance that did not write it — the case this test is about.
  std::map<std::string, int> per_instance;
  int cross_instance_rounds = 0, rounds_seen = 0, logged_404 = 0;
  std::string post_upstream;
  for (const auto& l : lbAccessLog(system_->lbAccessLogPath())) {
    per_instance[l.upstream]++;
    if (l.status == "404") logged_404++;
    if (l.method == "POST" && l.uri == "/v1/batches") {
      post_upstream = l.upstream;
    } else if (l.method == "GET" && l.uri.rfind("/v1/runs/", 0) == 0 && !post_upstream.empty()) {
      rounds_seen++;
      if (l.upstream != post_upstream) cross_instance_rounds++;
      post_upstream.clear();
    }
  }
  std::string counts;
  for (const auto& [upstream, n] : per_instance) counts += upstream + ": " + std::to_string(n) + "\n";
  EXPECT_EQ(rounds_seen, kRounds) << counts;
  for (const char* port : {"BATCHRUN_RUN_INGEST_1_PORT", "BATCHRUN_RUN_INGEST_2_PORT"}) {
    EXPECT_EQ(per_instance.count("127.0.0.1:" + system_->env.at(port)), 1u) << port << " served nothing\n" << counts;
  }
  EXPECT_GT(cross_instance_rounds, 0) << counts;
  EXPECT_EQ(logged_404, 0) << counts;
  std::printf("requests per instance:\n%srounds whose run was read from the other instance: %d of %d\n",
              counts.c_str(), cross_instance_rounds, rounds_seen);
}

TEST_F(LbTopologyTest, TwoHundredAsyncRunsThroughTheLoadBalancerAllComplete) {
  // The demo worker answers 202 and posts each result to the load balancer, which hands it to either
  // instance — often not the one whose view has seen the run start yet.
  std::string runs = "[";
  for (int i = 0; i < 200; ++i) runs += std::string(i ? "," : "") + R"({"input":{"async":true,"n":)" + std::to_string(i) + "}}";
  runs += "]";
  auto posted = postBatch(runs);
  ASSERT_TRUE(posted.status == 201 || posted.status == 202) << posted.status << " " << posted.body;
  auto d = parse(posted.body);
  ASSERT_FALSE(d.HasParseError()) << posted.body;
  const std::string batch_id = d["batch_id"].GetString();

  std::string last;
  bool done = waitFor(
      [&] {
        auto r = get("/v1/batches/" + batch_id);
        last = std::to_string(r.status) + " " + r.body;
        auto b = parse(r.body);
        return r.status == 200 && !b.HasParseError() && b.HasMember("status") &&
               std::string(b["status"].GetString()) == "completed";
      },
      300s, 100ms);
  ASSERT_TRUE(done) << "the batch did not finish; last answer: " << last;
  auto b = parse(get("/v1/batches/" + batch_id).body);
  ASSERT_TRUE(b.HasMember("counts") && b["counts"].IsObject()) << last;
  ASSERT_TRUE(b["counts"].HasMember("completed")) << last;
  EXPECT_EQ(b["counts"]["completed"].GetInt(), 200) << last;
  EXPECT_EQ(b["total"].GetInt(), 200) << last;
}

}  // namespace
