// Extend-dialect webhooks end to end: an endpoint registered with dialect "extend" receives
// workflow_run.completed / workflow_run.failed for an Extend batch in Extend's envelope
// {eventId, eventType, payload} carrying batchId and each input's metadata; other event types
// (started, batch.completed) are not sent to it. Runs batchrun-webhook-sender and the demo receiver.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "compat_system.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

using namespace std::chrono_literals;

TEST(CompatExtendWebhook, CompletedAndFailedRunsArriveInExtendsEnvelope) {
  auto& sys = CompatSystem::get();
  const int receiver_port = freePort();
  const std::string receiver = "http://127.0.0.1:" + std::to_string(receiver_port);
  ChildProcess receiver_process(binDir() + "/batchrun-demo-worker", {},
                                {"--receiver", "--port", std::to_string(receiver_port)});
  ASSERT_TRUE(waitFor([&] { return httpGet(receiver + "/healthz").status == 200; }, 30s)) << receiver_process.log();

  // The endpoint exists before the sender starts, so the sender's ready view includes it.
  auto r = sys.call("POST", "/v1/webhook-endpoints",
                    R"({"url": ")" + receiver + R"(/extend", "dialect": "extend"})", {{"Authorization", bearer()}});
  ASSERT_EQ(r.status, 201) << r.body;

  const auto& k = sys.kafka();
  const int sender_port = freePort();
  ChildProcess sender(binDir() + "/batchrun-webhook-sender",
                      {{"BATCHRUN_KAFKA_BROKERS", k.brokers},
                       {"BATCHRUN_TOPIC_PREFIX", k.topic_prefix},
                       {"BATCHRUN_KAFKA_PARTITIONS", std::to_string(k.partitions)},
                       {"BATCHRUN_WEBHOOK_PORT", std::to_string(sender_port)},
                       {"BATCHRUN_WEBHOOK_GROUP", k.topic_prefix + "webhook-sender"},
                       {"BATCHRUN_WEBHOOK_ALLOW_HTTP", "true"},
                       {"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"}});
  ASSERT_TRUE(waitFor([&] { return httpGet("http://127.0.0.1:" + std::to_string(sender_port) + "/readyz").status == 200; },
                      60s))
      << sender.log();

  // A batch the demo worker processes, and one whose worker cannot be reached (failed).
  r = sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1234567890"}, "inputs": [
      {"rawText": "ok", "metadata": {"customerId": "cust_ok"}}]})",
               {{"Authorization", bearer()}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> batches{parseJson(r.body)["batchId"].GetString()};
  r = sys.call("POST", "/workflow_runs/batch",
               std::string(R"({"workflow": {"id": ")") + kUnreachableWorkflow + R"("}, "inputs": [
      {"file": {"url": "https://example.com/x.pdf"}, "metadata": {"customerId": "cust_bad"}}]})",
               {{"Authorization", bearer()}});
  ASSERT_EQ(r.status, 200) << r.body;
  batches.insert(parseJson(r.body)["batchId"].GetString());

  std::map<std::string, std::string> type_by_customer;
  std::set<std::string> event_ids;
  bool foreign = false;
  ASSERT_TRUE(waitFor(
      [&] {
        auto d = parseJson(httpGet(receiver + "/events").body);
        if (!d.IsObject() || !d.HasMember("events")) return false;
        for (auto& e : d["events"].GetArray()) {
          if (!e.IsObject() || !e.HasMember("eventType")) {
            foreign = true;  // a native envelope reached an Extend endpoint
            continue;
          }
          const auto& p = e["payload"];
          if (!p["batchId"].IsString() || !batches.count(p["batchId"].GetString())) continue;
          type_by_customer[p["metadata"]["customerId"].GetString()] = e["eventType"].GetString();
          event_ids.insert(e["eventId"].GetString());
        }
        return type_by_customer.size() == 2;
      },
      60s))
      << receiver_process.log() << sender.log();
  EXPECT_FALSE(foreign);
  EXPECT_EQ(type_by_customer["cust_ok"], "workflow_run.completed");
  EXPECT_EQ(type_by_customer["cust_bad"], "workflow_run.failed");
  EXPECT_EQ(event_ids.size(), 2u);
  sender.stop();
}

}  // namespace
}  // namespace batchrun::testing
