// The webhook-sender against poison in every topic it consumes (issue #24 "No poison records"):
// runs.events (records without the CloudEvents headers, and records with them whose value is not a
// JSON object), webhooks.retry and webhooks.endpoints. It keeps running, copies each record to the
// dead-letter topic, counts it, and delivers the next valid event and retry record.
#include <gtest/gtest.h>

#include <set>

#include "../webhook/sender_env.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/events.hpp"
#include "poison_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

OutMessage eventFor(const Topics& topics, const std::string& project, std::string* id) {
  batchrun::Run run;
  run.run_id = uuidv7();
  run.project = project;
  run.workflow_id = "wf";
  run.status = RunStatus::kCompleted;
  run.attempt = 1;
  run.created_at = SystemClock::instance().nowMs();
  if (id) *id = runEventId(run, event_type::kCompleted);
  OutMessage m = makeRunEvent(topics.events, run, event_type::kCompleted, SystemClock::instance().nowMs());
  m.partition = 0;
  return m;
}

TEST(PoisonRecords, WebhookSenderSkipsEveryPoisonRecordAndDeliversTheNext) {
  SenderEnv env;
  DeadLetters dead(env.kafka);
  const Topics& t = env.topics;
  std::map<std::string, size_t> expected;
  // The endpoint is registered after the poison: delivering to it proves the view went past.
  expected[t.endpoints] = producePoison(*env.producer, t.endpoints, 0, poisonValues(true), "ep_poison");
  auto ep = env.addEndpoint("proj", env.receiver.url("hook"));
  auto app = env.startSender(env.senderConfig());
  ASSERT_TRUE(app);

  // Events without headers, then events whose headers are right but whose value is not an object.
  expected[t.events] = producePoison(*env.producer, t.events, 0, poisonValues(false));
  for (const auto& v : poisonValues(false)) {
    OutMessage m = eventFor(t, "proj", nullptr);
    m.value = v.value;
    m.headers.emplace_back("poison", v.name);
    auto r = env.producer->produceSync(std::move(m));
    ASSERT_TRUE(r && r->ok);
    ++expected[t.events];
  }
  expected[t.webhook_retry] = producePoison(*env.producer, t.webhook_retry, 0, poisonValues(false), ep.id);

  // The next valid event on the same partition is delivered; so is the next retry record.
  std::string next_id;
  {
    auto r = env.producer->produceSync(eventFor(t, "proj", &next_id));
    ASSERT_TRUE(r && r->ok);
  }
  WebhookDelivery retry;
  retry.endpoint_id = ep.id;
  retry.project = "proj";
  retry.event_id = "evt-after-poison";
  retry.event_type = event_type::kCompleted;
  retry.body = R"({"type":"workflow_run.completed","data":{}})";
  retry.attempt = 2;
  retry.due_at = SystemClock::instance().nowMs();
  {
    auto r = env.producer->produceSync({t.webhook_retry, ep.id, encodeWebhookDelivery(retry), {}, 0});
    ASSERT_TRUE(r && r->ok);
  }
  ASSERT_TRUE(waitFor([&] {
    auto ids = env.receiver.ids("hook");
    return ids.count(next_id) > 0 && ids.count(retry.event_id) > 0;
  }, 60s)) << env.receiver.count("hook") << " deliveries";

  for (const auto& [topic, n] : expected) {
    ASSERT_TRUE(waitFor([&, topic = topic, n = n] { return dead.from(topic, "webhook").size() >= n; }, 30s))
        << topic << ": " << dead.from(topic).size() << " of " << n << " copied";
    auto copies = dead.from(topic, "webhook");
    EXPECT_EQ(copies.size(), n) << topic;
    std::set<std::string> offsets;
    for (auto& c : copies) {
      EXPECT_EQ(c.headers["batchrun-dlq-partition"], "0");
      EXPECT_FALSE(c.headers["batchrun-dlq-reason"].empty()) << topic;
      EXPECT_FALSE(c.headers["poison"].empty()) << "the original headers are kept";
      offsets.insert(c.headers["batchrun-dlq-offset"]);
    }
    EXPECT_EQ(offsets.size(), n) << topic;
    EXPECT_EQ(env.metric(*app, "batchrun_webhook_poison_records_total{topic=\"" + topic + "\"}"), static_cast<double>(n))
        << topic;
  }
  // Nothing poison reached the receiver.
  for (const auto& h : env.receiver.hits("hook")) {
    EXPECT_TRUE(h.id == next_id || h.id == retry.event_id) << h.id << " " << h.body.substr(0, 200);
  }
}

}  // namespace
