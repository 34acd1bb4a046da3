// batchrun-demo-worker as a process: every behaviour its input chooses, the /stats counters and
// maxima, async results posted to a real HTTP server, and the --receiver mode's signature checks.
#include <gtest/gtest.h>
#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <rapidjson/document.h>

#include <mutex>
#include <thread>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"
#include "http.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

// The demo worker (or receiver) on a free port, ready when this returns.
struct DemoProcess {
  int port = freePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::unique_ptr<ChildProcess> process;

  explicit DemoProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.push_back("--port");
    args.push_back(std::to_string(port));
    process = std::make_unique<ChildProcess>(binDir() + "/batchrun-demo-worker", env, args);
    EXPECT_TRUE(waitFor([&] { return httpGet(base + "/healthz").status == 200; }, 30s)) << process->log();
  }
  HttpResponse post(const std::string& body, const std::map<std::string, std::string>& headers = {},
                    const std::string& path = "/") {
    return httpRequest("POST", base + path, body, headers);
  }
  rapidjson::Document stats() { return parse(httpGet(base + "/stats").body); }
};

TEST(DemoWorkerTest, EchoesTheInputOnAnyPath) {
  DemoProcess w({});
  auto r = w.post(R"({"hello":"world","n":[1,2]})", {}, "/any/path/at/all");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"echo":{"hello":"world","n":[1,2]}})");
  EXPECT_EQ(w.post("not json").status, 400);
  EXPECT_EQ(httpGet(w.base + "/somewhere").status, 405);
  EXPECT_EQ(w.process->stop(15), 0) << w.process->log();
}

TEST(DemoWorkerTest, StatusAnswersThatCodeOnEveryAttempt) {
  DemoProcess w({});
  for (const char* attempt : {"1", "2", "3"}) {
    EXPECT_EQ(w.post(R"({"status":503})", {{"batchrun-attempt", attempt}}).status, 503);
  }
  EXPECT_EQ(w.post(R"({"status":404})").status, 404);
  EXPECT_EQ(w.post(R"({"status":201})").status, 201);
}

TEST(DemoWorkerTest, FailTimesAnswers500UntilThatAttemptThen200) {
  DemoProcess w({});
  std::string input = R"({"fail_times":2})";
  EXPECT_EQ(w.post(input, {{"batchrun-attempt", "1"}, {"batchrun-run-id", "r1"}}).status, 500);
  EXPECT_EQ(w.post(input, {{"batchrun-attempt", "2"}, {"batchrun-run-id", "r1"}}).status, 500);
  auto ok = w.post(input, {{"batchrun-attempt", "3"}, {"batchrun-run-id", "r1"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"echo":{"fail_times":2}})");
  auto s = w.stats();
  EXPECT_EQ(s["by_run"]["r1"].GetInt(), 3);
  EXPECT_EQ(s["total"].GetInt(), 3);
}

TEST(DemoWorkerTest, SleepingRunsDoNotBlockOthersAndStatsCountMaxima) {
  // One reactor thread: if a sleeping run held it, the quick run below could not be answered. The
  // sleepers sleep far longer than the test; stopping the worker ends their requests.
  DemoProcess w({}, {{"BATCHRUN_DEMO_WORKER_THREADS", "1"}});
  std::vector<std::thread> sleepers;
  for (int i = 0; i < 3; ++i) {
    sleepers.emplace_back([&, i] {
      // Key from the header for two of them, from the input for the third.
      if (i < 2) {
        w.post(R"({"sleep_ms":600000})", {{"batchrun-concurrency-key", "tenant-a"}});
      } else {
        w.post(R"({"sleep_ms":600000,"concurrency_key":"tenant-b"})");
      }
    });
  }
  ASSERT_TRUE(waitFor([&] { return w.stats()["in_flight"].GetInt() == 3; }, 10s));
  auto quick = w.post(R"({"concurrency_key":"tenant-c"})");
  EXPECT_EQ(quick.status, 200);

  auto s = w.stats();
  EXPECT_EQ(s["total"].GetInt(), 4);
  EXPECT_EQ(s["in_flight"].GetInt(), 3);
  EXPECT_EQ(s["max_in_flight"].GetInt(), 4);
  EXPECT_EQ(s["per_key"]["tenant-a"]["max_in_flight"].GetInt(), 2);
  EXPECT_EQ(s["per_key"]["tenant-a"]["count"].GetInt(), 2);
  EXPECT_EQ(s["per_key"]["tenant-b"]["max_in_flight"].GetInt(), 1);
  EXPECT_EQ(s["per_key"]["tenant-c"]["count"].GetInt(), 1);
  EXPECT_EQ(s["per_key"]["tenant-c"]["in_flight"].GetInt(), 0);

  // Reset keeps what is still in flight, so the counters stay balanced.
  EXPECT_EQ(httpRequest("POST", w.base + "/stats/reset").status, 200);
  s = w.stats();
  EXPECT_EQ(s["total"].GetInt(), 0);
  EXPECT_EQ(s["in_flight"].GetInt(), 3);
  EXPECT_EQ(s["max_in_flight"].GetInt(), 3);
  EXPECT_FALSE(s["per_key"].HasMember("tenant-c"));
  EXPECT_EQ(s["per_key"]["tenant-a"]["count"].GetInt(), 0);

  EXPECT_EQ(w.process->stop(15), 0) << w.process->log();
  for (auto& t : sleepers) t.join();
}

// A real HTTP server standing in for ingest's POST /v1/runs/{id}/result.
class ResultSink {
 public:
  struct Seen {
    std::string path, authorization, body;
  };
  ResultSink() : endpoint_(Pistache::Address("127.0.0.1", Pistache::Port(0))) {
    endpoint_.init(Pistache::Http::Endpoint::options().threads(1));
    endpoint_.setHandler(std::make_shared<Handler>(this));
    endpoint_.serveThreaded();
  }
  ~ResultSink() { endpoint_.shutdown(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_.getPort())); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  class Handler : public Pistache::Http::Handler {
   public:
    HTTP_PROTOTYPE(Handler)
    explicit Handler(ResultSink* sink) : sink_(sink) {}
    void onRequest(const Pistache::Http::Request& req, Pistache::Http::ResponseWriter rw) override {
      auto auth = req.headers().tryGetRaw("Authorization");
      {
        std::lock_guard lock(sink_->mu_);
        sink_->seen_.push_back({req.resource(), auth ? auth->value() : "", req.body()});
      }
      rw.send(Pistache::Http::Code::Ok, "{}");
    }

   private:
    ResultSink* sink_;
  };
  std::mutex mu_;
  std::vector<Seen> seen_;
  Pistache::Http::Endpoint endpoint_;
};

TEST(DemoWorkerTest, AsyncAnswers202ThenPostsTheResultWithTheApiKey) {
  ResultSink sink;
  DemoProcess w({"--api", sink.url()}, {{"BATCHRUN_DEMO_WORKER_API_KEY", "k-123"}});
  auto r = w.post(R"({"async":true,"x":7})", {{"batchrun-run-id", "run-1"}, {"batchrun-concurrency-key", "k"}});
  EXPECT_EQ(r.status, 202);
  auto f = w.post(R"({"async":true,"async_status":"failed"})", {{"batchrun-run-id", "run-2"}});
  EXPECT_EQ(f.status, 202);
  ASSERT_TRUE(waitFor([&] { return sink.seen().size() == 2; }, 20s)) << w.process->log();
  // The runs count as in flight until their results are out.
  ASSERT_TRUE(waitFor([&] { return w.stats()["in_flight"].GetInt() == 0; }, 10s));
  auto seen = sink.seen();
  std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  EXPECT_EQ(seen[0].path, "/v1/runs/run-1/result");
  EXPECT_EQ(seen[0].authorization, "Bearer k-123");
  EXPECT_EQ(seen[0].body, R"({"status":"completed","output":{"echo":{"async":true,"x":7}}})");
  EXPECT_EQ(seen[1].path, "/v1/runs/run-2/result");
  EXPECT_EQ(parse(seen[1].body)["status"].GetString(), std::string("failed"));
  EXPECT_EQ(w.stats()["per_key"]["k"]["max_in_flight"].GetInt(), 1);
}

std::map<std::string, std::string> signedHeaders(const std::string& secret_key, const std::string& id,
                                                 const std::string& body) {
  std::string ts = std::to_string(batchrun::SystemClock::instance().nowMs() / 1000);
  std::string sig = batchrun::base64Encode(batchrun::hmacSha256(secret_key, id + "." + ts + "." + body));
  return {{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", "v1,bm9wZQ== v1," + sig},
          {"Content-Type", "application/json"}};
}

TEST(DemoReceiverTest, VerifiesSignaturesPrintsAndCountsWebhooks) {
  std::string key = "0123456789abcdef0123456789abcdef";
  DemoProcess rcv({"--receiver", "--secret", "whsec_" + batchrun::base64Encode(key)});
  std::string body = R"({"type":"workflow_run.completed","timestamp":"2026-01-01T00:00:00Z","data":{"run_id":"r"}})";
  EXPECT_EQ(rcv.post(body, signedHeaders(key, "msg_1", body), "/hooks").status, 200);
  EXPECT_EQ(rcv.post(body, signedHeaders(key, "msg_1", body), "/hooks").status, 200);  // a redelivery
  EXPECT_EQ(rcv.post(body, signedHeaders("another key", "msg_2", body)).status, 401);
  EXPECT_EQ(rcv.post(body + " ", signedHeaders(key, "msg_3", body)).status, 401);  // body changed
  EXPECT_EQ(rcv.post(body).status, 401);                                          // unsigned

  auto s = rcv.stats();
  EXPECT_EQ(s["total"].GetInt(), 5);
  EXPECT_EQ(s["verified"].GetInt(), 2);
  EXPECT_EQ(s["rejected"].GetInt(), 3);
  EXPECT_EQ(s["unique_ids"].GetInt(), 1);
  EXPECT_EQ(s["by_type"]["workflow_run.completed"].GetInt(), 2);
  auto events = parse(httpGet(rcv.base + "/events").body);
  ASSERT_EQ(events["events"].Size(), 2u);
  EXPECT_EQ(events["events"][0]["data"]["run_id"].GetString(), std::string("r"));
  EXPECT_EQ(rcv.process->stop(15), 0);
  EXPECT_NE(rcv.process->log().find(R"("signature":"valid")"), std::string::npos) << rcv.process->log();
}

TEST(DemoReceiverTest, AcceptsEverythingWithoutASecretAndAnswersTheConfiguredStatus) {
  DemoProcess rcv({"--receiver", "--status", "500"});
  EXPECT_EQ(rcv.post(R"({"type":"batch.completed"})", {{"webhook-id", "m"}}).status, 500);
  EXPECT_EQ(rcv.stats()["by_type"]["batch.completed"].GetInt(), 1);
}

}  // namespace
