// Upstash-Failure-Callback end to end: POST /v2/batch/trigger to a real ingest, a real dispatcher
// on the real broker, the demo worker answering 500 (or 422) as asked, and a real HTTP receiver as
// the callback. The callback carries Upstash's failure-callback body, is signed like a worker
// request, is tried again when the receiver fails, and never changes the run's status.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/ids.hpp"
#include "callback_receiver.hpp"
#include "compat_system.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> auth() { return {{"Authorization", bearer()}}; }

std::string unbase64(const rapidjson::Value& v) {
  std::string out;
  EXPECT_TRUE(v.IsString() && base64Decode(v.GetString(), out));
  return out;
}

const char* kDelivered = R"(batchrun_dispatcher_failure_callbacks_total{result="delivered"})";
const char* kRetried = R"(batchrun_dispatcher_failure_callbacks_total{result="retried"})";
const char* kGaveUp = R"(batchrun_dispatcher_failure_callbacks_total{result="failed"})";

// One Upstash item: its destination, its body (a JSON string literal) and its headers' members.
std::string item(const std::string& dest, const std::string& body, const std::string& headers) {
  return R"({"destination": ")" + dest + R"(", "body": )" + body + R"(, "headers": {)" + headers + "}}";
}

TEST(CompatUpstashCallback, FailedRunCallsItsFailureCallbackWithUpstashBodyAfterARetry) {
  auto& sys = CompatSystem::get();
  CallbackReceiver receiver(1);  // the first try gets a 500: the dispatcher tries again
  CallbackReceiver completed_receiver;
  const std::string dest = sys.worker().url("/api/workflow");
  const std::string key = "cb-" + uuidv7().substr(24);
  const double delivered_before = sys.dispatcherMetric(kDelivered);
  const double retried_before = sys.dispatcherMetric(kRetried);
  const std::string body = "[" +
      item(dest, R"("{\"status\": 500}")",
           R"("Upstash-Workflow-RunId": ")" + key + R"(", "Upstash-Retries": "1", "Upstash-Forward-X-Tenant": "acme",
              "Upstash-Failure-Callback": ")" + receiver.url("/failed") + R"(",
              "Upstash-Failure-Callback-Forward-Authorization": "Bearer cb-token")") + "," +
      item(dest, R"("{\"ok\": true}")",
           R"("Upstash-Failure-Callback": ")" + completed_receiver.url("/never") + R"(")") + "]";
  auto r = sys.call("POST", "/v2/batch/trigger", body, auth());
  ASSERT_EQ(r.status, 201) << r.body;
  auto answers = parseJson(r.body);
  const std::string failed_id = upstashRunId(answers[0]["workflowRunId"].GetString());
  const std::string ok_id = upstashRunId(answers[1]["workflowRunId"].GetString());

  auto run = sys.waitTerminal(failed_id);
  ASSERT_TRUE(run.IsObject());
  EXPECT_STREQ(run["status"].GetString(), "failed");
  EXPECT_EQ(run["attempt"].GetInt(), 2);  // Upstash-Retries 1
  ASSERT_TRUE(waitFor([&] { return receiver.hits("/failed").size() >= 2; }, 60s))
      << receiver.hits("/failed").size() << " callback tries";
  auto hits = receiver.hits("/failed");
  ASSERT_EQ(hits.size(), 2u);  // a 500, then a 200: no third try
  EXPECT_EQ(hits[0].answered, 500);
  EXPECT_EQ(hits[1].answered, 200);
  EXPECT_EQ(hits[0].body, hits[1].body);  // the same callback, tried again

  const CallbackHit& hit = hits[1];
  auto d = parseJson(hit.body);
  ASSERT_TRUE(d.IsObject()) << hit.body;
  EXPECT_EQ(d["status"].GetInt(), 500);
  EXPECT_EQ(unbase64(d["body"]), R"({"error":"demo worker answers 500 as asked"})");
  ASSERT_TRUE(d["header"].IsObject());
  EXPECT_TRUE(d["header"].HasMember("content-type")) << hit.body;
  EXPECT_EQ(d["retried"].GetInt(), 1);
  EXPECT_EQ(d["maxRetries"].GetInt(), 1);
  EXPECT_EQ(std::string(d["workflowRunId"].GetString()), "wfr_" + key);
  EXPECT_EQ(std::string(d["sourceMessageId"].GetString()), failed_id);
  EXPECT_EQ(std::string(d["url"].GetString()), dest);
  EXPECT_STREQ(d["method"].GetString(), "POST");
  EXPECT_EQ(unbase64(d["sourceBody"]), R"({"status":500})");
  EXPECT_STREQ(d["sourceHeader"]["X-Tenant"][0].GetString(), "acme");
  EXPECT_STREQ(d["error"]["code"].GetString(), "http_500");

  // Upstash-Failure-Callback-Forward-* reach the callback (and only the callback).
  EXPECT_EQ(hit.headers.at("authorization"), "Bearer cb-token");
  EXPECT_EQ(hit.headers.at("batchrun-callback"), "failure");
  EXPECT_EQ(hit.headers.at("batchrun-run-id"), failed_id);
  // Signed as worker requests are (the harness's BATCHRUN_WORKER_SECRET), checked from the scheme.
  const std::string ts = hit.headers.at("batchrun-timestamp");
  EXPECT_EQ(hit.headers.at("batchrun-signature"),
            "v1," + base64Encode(hmacSha256("test-worker-secret", failed_id + "." + ts + "." + hit.body)));

  // Counted, and the run is as it was.
  EXPECT_TRUE(waitFor([&] { return sys.dispatcherMetric(kDelivered) >= delivered_before + 1; }, 30s));
  EXPECT_GE(sys.dispatcherMetric(kRetried), retried_before + 1);
  EXPECT_STREQ(sys.run(failed_id)["status"].GetString(), "failed");

  // A completed run calls nobody.
  auto ok = sys.waitTerminal(ok_id);
  ASSERT_TRUE(ok.IsObject());
  EXPECT_STREQ(ok["status"].GetString(), "completed");
  EXPECT_TRUE(completed_receiver.hits("/never").empty());
}

TEST(CompatUpstashCallback, NonRetryableAnswerCallsOnceWithoutRetries) {
  auto& sys = CompatSystem::get();
  CallbackReceiver receiver;
  const std::string body = "[" +
      item(sys.worker().url("/api/workflow"), R"("{\"status\": 422}")",
           R"("Upstash-Failure-Callback": ")" + receiver.url("/failed-422") + R"(")") + "]";
  auto r = sys.call("POST", "/v2/batch/trigger", body, auth());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string wfr = parseJson(r.body)[0]["workflowRunId"].GetString();
  auto run = sys.waitTerminal(upstashRunId(wfr));
  ASSERT_TRUE(run.IsObject());
  EXPECT_STREQ(run["status"].GetString(), "failed");
  ASSERT_TRUE(waitFor([&] { return !receiver.hits("/failed-422").empty(); }, 30s));
  auto d = parseJson(receiver.hits("/failed-422")[0].body);
  EXPECT_EQ(d["status"].GetInt(), 422);
  EXPECT_EQ(d["retried"].GetInt(), 0);
  EXPECT_EQ(std::string(d["workflowRunId"].GetString()), wfr);  // a generated id: wfr_ + the run id
}

TEST(CompatUpstashCallback, ACallbackThatCannotBeDeliveredChangesNothing) {
  auto& sys = CompatSystem::get();
  const double gave_up_before = sys.dispatcherMetric(kGaveUp);
  // Nobody listens there: every try is a connection error, retried, then given up.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(freePort()) + "/gone";
  const std::string body = "[" +
      item(sys.worker().url("/api/workflow"), R"("{\"status\": 400}")",
           R"("Upstash-Failure-Callback": ")" + nowhere + R"(")") + "]";
  auto r = sys.call("POST", "/v2/batch/trigger", body, auth());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = upstashRunId(parseJson(r.body)[0]["workflowRunId"].GetString());
  auto run = sys.waitTerminal(id);
  ASSERT_TRUE(run.IsObject());
  EXPECT_STREQ(run["status"].GetString(), "failed");
  ASSERT_TRUE(waitFor([&] { return sys.dispatcherMetric(kGaveUp) >= gave_up_before + 1; }, 60s))
      << sys.dispatcherMetrics();
  auto after = sys.run(id);
  EXPECT_STREQ(after["status"].GetString(), "failed");
  EXPECT_STREQ(after["updated_at"].GetString(), run["updated_at"].GetString());  // nothing recorded after the end
}

}  // namespace
}  // namespace batchrun::testing
