// The webhook-sender against the real broker and a real local receiver that verifies every
// signature with OpenSSL on its own: a 1,000-run batch delivered signed, retries with a stable
// webhook-id, a hung endpoint not slowing a healthy one, a restart mid-batch, the DLQ, 410,
// event-type filters, secret rotation, and the connect-time private-address block.
#include <gtest/gtest.h>

#include <set>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "sender_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

std::set<std::string> asSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(WebhookSender, EveryEventOfAThousandRunBatchArrivesValidlySigned) {
  SenderEnv env;
  auto ep = env.addEndpoint("p1", env.receiver.url("all"));
  env.receiver.expectSecrets("all", {ep.secrets[0].secret});
  auto other = env.addEndpoint("p2", env.receiver.url("other"));  // another project's: sees nothing
  auto ids = env.produceEvents("p1", 1000, event_type::kCompleted, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto app = env.startSender(env.senderConfig());
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("all").size() >= 1000; }, 60s))
      << env.receiver.ids("all").size();
  EXPECT_EQ(env.receiver.ids("all"), asSet(ids));
  EXPECT_EQ(env.receiver.invalid("all"), 0u);
  auto hits = env.receiver.hits("all");
  ASSERT_FALSE(hits.empty());
  const Hit& h = hits.front();
  EXPECT_EQ(h.content_type, "application/json");
  EXPECT_EQ(h.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(h.body.rfind("{\"type\":\"workflow_run.completed\"", 0), 0u) << h.body;
  EXPECT_EQ(env.receiver.count("other"), 0u);
  (void)other;
}

TEST(WebhookSender, AReceiverFailingItsFirstAttemptsGetsTheEventLaterWithTheSameId) {
  SenderEnv env;
  auto ep = env.addEndpoint("p", env.receiver.url("flaky"));
  env.receiver.expectSecrets("flaky", {ep.secrets[0].secret});
  env.receiver.behave("flaky", {.fail_first = 2});
  auto ids = env.produceEvents("p", 5, event_type::kCompleted);
  auto app = env.startSender(env.senderConfig("0,100,100,100"));
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("flaky").size() == 5; }, 30s));
  std::map<std::string, std::vector<int>> per_id;
  for (const auto& h : env.receiver.hits("flaky")) per_id[h.id].push_back(h.answered);
  for (const auto& id : ids) {
    ASSERT_GE(per_id[id].size(), 3u) << id;
    EXPECT_EQ(per_id[id][0], 500);
    EXPECT_EQ(per_id[id][1], 500);
    EXPECT_EQ(per_id[id][2], 200);
  }
  EXPECT_EQ(env.receiver.invalid("flaky"), 0u);
  EXPECT_TRUE(env.deadLetters().empty());
}

TEST(WebhookSender, AHungEndpointDoesNotSlowAHealthyOne) {
  SenderEnv env;
  DeadListener dead;
  auto hung = env.addEndpoint("p", dead.url());
  auto ok = env.addEndpoint("p", env.receiver.url("healthy"));
  env.receiver.expectSecrets("healthy", {ok.secrets[0].secret});
  auto config = env.senderConfig();
  // Longer than the test: every request to the hung endpoint is still outstanding at the end, so
  // the healthy endpoint's deliveries cannot have waited for any of them.
  config.delivery.timeout_ms = 120000;
  config.delivery.max_in_flight_per_endpoint = 4;
  config.delivery.endpoint_queue_limit = 10;
  auto ids = env.produceEvents("p", 300, event_type::kCompleted);
  auto app = env.startSender(config);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("healthy").size() == 300; }, 60s));
  EXPECT_EQ(env.receiver.ids("healthy"), asSet(ids));
  EXPECT_EQ(env.metric(*app, "batchrun_webhook_failures_total{endpoint=\"" + hung.id + "\"}"), 0);
  // The hung endpoint's first attempts beyond its in-flight cap and queue went to webhooks.retry,
  // so the events consumer holds back only the few in flight: its offsets keep moving.
  EXPECT_GT(env.metric(*app, "batchrun_webhook_deferred_total"), 0);
  EXPECT_TRUE(waitFor([&] { return env.metric(*app, "batchrun_webhook_pending_events") <= 14; }, 30s));
}

TEST(WebhookSender, ARestartMidBatchLosesNothing) {
  SenderEnv env;
  auto a = env.addEndpoint("p", env.receiver.url("a"));
  auto b = env.addEndpoint("p", env.receiver.url("b"));  // fails every first attempt: retries span the restart
  env.receiver.expectSecrets("a", {a.secrets[0].secret});
  env.receiver.expectSecrets("b", {b.secrets[0].secret});
  env.receiver.behave("b", {.fail_first = 1});
  // "a" takes 100 events, then answers 503 until the restart: the first sender stops mid-batch
  // with events of both endpoints in retry. Eight attempts over 2.1 s keep them out of the DLQ.
  env.receiver.behave("a", {.accept_limit = 100});
  auto ids = env.produceEvents("p", 500, event_type::kCompleted);
  auto config = env.senderConfig("0,300,300,300,300,300,300,300");
  {
    auto first = env.startSender(config);
    ASSERT_TRUE(waitFor([&] { return env.receiver.ids("a").size() == 100; }, 60s));
    first->stop();
  }
  EXPECT_EQ(env.receiver.ids("a").size(), 100u);
  env.receiver.behave("a", {});
  auto second = env.startSender(config);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("a").size() == 500 && env.receiver.ids("b").size() == 500; }, 90s))
      << env.receiver.ids("a").size() << " " << env.receiver.ids("b").size();
  EXPECT_EQ(env.receiver.ids("a"), asSet(ids));
  EXPECT_EQ(env.receiver.ids("b"), asSet(ids));
  EXPECT_EQ(env.receiver.invalid("a") + env.receiver.invalid("b"), 0u);
  EXPECT_TRUE(env.deadLetters().empty());
}

TEST(WebhookSender, DeadLettersAfterTheLastAttempt) {
  SenderEnv env;
  auto ep = env.addEndpoint("p", env.receiver.url("down"));
  env.receiver.behave("down", {.status = 500});
  auto ids = env.produceEvents("p", 3, event_type::kFailed);
  auto app = env.startSender(env.senderConfig("0,50,50"));
  ASSERT_TRUE(waitFor([&] { return env.deadLetters().size() >= 3; }, 30s));
  std::set<std::string> dead;
  for (const auto& d : env.deadLetters()) {
    dead.insert(d.event_id);
    EXPECT_EQ(d.endpoint_id, ep.id);
    EXPECT_EQ(d.attempt, 3);
    EXPECT_EQ(d.last_status, 500);
    EXPECT_GT(d.failed_at, 0);
    EXPECT_FALSE(d.body.empty());
  }
  EXPECT_EQ(dead, asSet(ids));
  EXPECT_EQ(env.receiver.count("down"), 9u);
  EXPECT_TRUE(waitFor([&] { return env.metric(*app, "batchrun_webhook_dlq_total") == 3; }, 10s));
}

TEST(WebhookSender, GoneDisablesTheEndpointAndAnnouncesIt) {
  SenderEnv env;
  auto gone = env.addEndpoint("p", env.receiver.url("gone"), {"workflow_run.*"});
  auto watcher = env.addEndpoint("p", env.receiver.url("watch"), {"endpoint.disabled"});
  env.receiver.expectSecrets("watch", {watcher.secrets[0].secret});
  env.receiver.behave("gone", {.status = 410});
  auto app = env.startSender(env.senderConfig());
  env.produceEvents("p", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("watch").size() == 1; }, 30s));
  auto hit = env.receiver.hits("watch").front();
  EXPECT_NE(hit.body.find("\"type\":\"endpoint.disabled\""), std::string::npos) << hit.body;
  EXPECT_NE(hit.body.find(gone.id), std::string::npos);
  EXPECT_EQ(env.receiver.invalid("watch"), 0u);
  ASSERT_TRUE(waitFor([&] { auto e = app->endpoints().get(gone.id); return e && e->disabled; }, 10s));
  // Later events are not attempted against the disabled endpoint.
  env.produceEvents("p", 2, event_type::kCompleted);
  // 1 + endpoint.disabled + 2 events read, so the last two were routed with the endpoint disabled.
  ASSERT_TRUE(waitFor([&] { return env.metric(*app, "batchrun_webhook_events_total") >= 4; }, 30s));
  EXPECT_EQ(env.receiver.count("gone"), 1u);
  ASSERT_TRUE(waitFor([&] { return env.deadLetters().size() == 1; }, 30s));
  EXPECT_EQ(env.deadLetters()[0].last_status, 410);
}

TEST(WebhookSender, EventTypeFiltersSelectWhatEachEndpointGets) {
  SenderEnv env;
  auto exact = env.addEndpoint("p", env.receiver.url("exact"), {"workflow_run.completed"});
  auto prefix = env.addEndpoint("p", env.receiver.url("prefix"), {"workflow_run.*"});
  auto batch = env.addEndpoint("p", env.receiver.url("batch"), {"batch.completed"});
  auto all = env.addEndpoint("p", env.receiver.url("all"));
  auto app = env.startSender(env.senderConfig());
  auto started = env.produceEvents("p", 2, event_type::kStarted);
  auto completed = env.produceEvents("p", 3, event_type::kCompleted);
  auto batch_id = env.produceBatchCompleted("p");
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("all").size() == 6; }, 30s));
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("prefix").size() == 5; }, 30s));
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("exact").size() == 3 && env.receiver.ids("batch").size() == 1; }, 30s));
  EXPECT_EQ(env.receiver.ids("exact"), asSet(completed));
  EXPECT_EQ(env.receiver.ids("batch"), std::set<std::string>{batch_id});
  // Nothing else arrives: a marker event every endpoint wants is the last one each receives.
  auto marker = env.produceBatchCompleted("p");
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("batch").count(marker) == 1 && env.receiver.ids("all").count(marker); }, 30s));
  EXPECT_EQ(env.receiver.count("exact"), 3u);
  EXPECT_EQ(env.receiver.count("prefix"), 5u);
  (void)exact; (void)prefix; (void)batch; (void)all;
}

TEST(WebhookSender, DuringRotationGraceBothSecretsSignAndExpiredOnesDoNot) {
  SenderEnv env;
  int64_t now = SystemClock::instance().nowMs();
  std::string current = newWebhookSecret(), previous = newWebhookSecret(), expired = newWebhookSecret();
  auto ep = env.addEndpoint("p", env.receiver.url("rot"), {},
                            {{current, 0}, {previous, now + 3'600'000}, {expired, now - 1000}});
  env.receiver.expectSecrets("rot", {current, previous});
  auto app = env.startSender(env.senderConfig());
  env.produceEvents("p", 3, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("rot").size() == 3; }, 30s));
  EXPECT_EQ(env.receiver.invalid("rot"), 0u);
  for (const auto& h : env.receiver.hits("rot")) {
    EXPECT_EQ(std::count(h.signature.begin(), h.signature.end(), ' '), 1) << h.signature;  // two entries
    EXPECT_FALSE(verifyStandardWebhook(expired, h.id, h.timestamp, h.body, h.signature));
  }
  (void)ep;
}

TEST(WebhookSender, PrivateAddressesAreBlockedAtConnectTimeUnlessAllowed) {
  SenderEnv env;
  // The record bypasses ingest's URL check (as a DNS name that later resolves to loopback would).
  auto ep = env.addEndpoint("p", env.receiver.url("private"));
  auto config = env.senderConfig("0,50");
  config.delivery.allow_private = false;
  auto app = env.startSender(config);
  auto ids = env.produceEvents("p", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.deadLetters().size() == 1; }, 30s));
  EXPECT_EQ(env.deadLetters()[0].event_id, ids[0]);
  EXPECT_NE(env.deadLetters()[0].last_error.find("blocked"), std::string::npos) << env.deadLetters()[0].last_error;
  EXPECT_EQ(env.receiver.count("private"), 0u);
  (void)ep;
}
