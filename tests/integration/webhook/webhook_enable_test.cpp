// Re-enabling webhook endpoints, end to end: ingest's API (WebhookEndpointRoutes over HTTP), the
// webhook-sender App and a real receiver, on the real broker. An endpoint the sender disabled
// (the receiver answered 410) gets no events while disabled, gets new ones again after
// POST …/enable, and gets what it missed by replay; its failure clock restarts on enable; an
// operator pauses and resumes one with the `batchrun` CLI; the calls are scoped and strict.
#include <gtest/gtest.h>

#include <set>

#include "api_server.hpp"
#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "sender_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

struct Created {
  std::string id;
  std::string secret;
};

Created createEndpoint(ApiServer& api, const std::string& url) {
  auto r = api.call("POST", "/v1/webhook-endpoints",
                    "{\"url\":\"" + url + "\",\"event_types\":[\"workflow_run.completed\"]}");
  EXPECT_EQ(r.status, 201) << r.body;
  auto d = parseJson(r.body);
  if (r.status != 201) return {};
  return {d["id"].GetString(), d["secret"].GetString()};
}

// Whether the sender's own view of the endpoint is in the given state: it routes by that view.
bool senderSees(webhook::App& app, const std::string& id, bool disabled) {
  auto e = app.endpoints().get(id);
  return e && e->disabled == disabled;
}

std::string runCli(const ApiServer& api, const std::vector<std::string>& args, int& exit_code) {
  ChildProcess cli(binDir() + "/batchrun", {{"BATCHRUN_URL", api.url()}, {"BATCHRUN_API_KEY", "key-a"}}, args);
  if (!waitFor([&] { return !cli.running(); }, 60s)) ADD_FAILURE() << "the CLI did not finish";
  exit_code = cli.stop();
  return cli.log();
}

}  // namespace

TEST(WebhookEndpointEnable, AnEndpointDisabledFor410GetsNewEventsAfterEnableAndMissedOnesByReplay) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto ep = createEndpoint(api, env.receiver.url("ep"));
  env.receiver.expectSecrets("ep", {ep.secret});
  // Wants the same events: once it has one, the sender has routed that event to every endpoint.
  auto marker = createEndpoint(api, env.receiver.url("marker"));
  env.receiver.behave("ep", {.status = 410});
  int64_t t0 = SystemClock::instance().nowMs() - 1000;
  auto app = env.startSender(env.senderConfig());

  auto first = env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, true); }, 30s));
  // Ingest's view follows the sender's write: GET tells the user why.
  auto get = [&] { return parseJson(api.call("GET", "/v1/webhook-endpoints/" + ep.id).body); };
  ASSERT_TRUE(waitFor([&] { return get()["disabled"].GetBool(); }, 10s));
  auto got = get();
  EXPECT_STREQ(got["disabled_reason"].GetString(), "endpoint answered 410 Gone");
  ASSERT_TRUE(waitFor([&] { return env.deadLetters().size() == 1; }, 30s));
  EXPECT_EQ(env.deadLetters()[0].event_id, first[0]);

  // While disabled, events are not routed to it: neither attempted nor dead-lettered.
  auto missed = env.produceEvents("pa", 2, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] {
    auto seen = env.receiver.ids("marker");
    return seen.count(missed[0]) && seen.count(missed[1]);
  }, 30s));
  EXPECT_EQ(env.receiver.count("ep"), 1u);

  env.receiver.behave("ep", {.status = 200});
  auto enabled = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/enable");
  ASSERT_EQ(enabled.status, 200) << enabled.body;
  auto e = parseJson(enabled.body);
  EXPECT_EQ(std::string(e["id"].GetString()), ep.id);
  EXPECT_FALSE(e["disabled"].GetBool());
  EXPECT_STREQ(e["disabled_reason"].GetString(), "");
  EXPECT_FALSE(e.HasMember("secret"));
  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints/" + ep.id).body, enabled.body);  // the answer is GET's

  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, false); }, 10s));
  auto after = env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("ep").count(after[0]) == 1; }, 30s));
  EXPECT_EQ(env.receiver.ids("ep"), std::set<std::string>{after[0]});
  EXPECT_EQ(env.receiver.invalid("ep"), 0u);
  EXPECT_EQ(env.deadLetters().size(), 1u);

  // The dead-lettered and the unrouted events come with a replay of the window.
  auto replay = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/replay",
                         "{\"since\":\"" + formatRfc3339(t0) + "\"}");
  ASSERT_EQ(replay.status, 202) << replay.body;
  std::set<std::string> all = {first[0], missed[0], missed[1], after[0]};
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("ep") == all; }, 30s)) << env.receiver.ids("ep").size();
  EXPECT_EQ(env.receiver.invalid("ep"), 0u);

  // Durable before the answer: a view built from the topic alone shows it enabled.
  ApiServer fresh(env.kafka, *env.producer, permissive());
  EXPECT_TRUE(waitFor([&] { return fresh.call("GET", "/v1/webhook-endpoints/" + ep.id).body == enabled.body; }, 10s));
  (void)marker;
}

TEST(WebhookEndpointEnable, AReEnabledEndpointsFailureClockStartsAfresh) {
  SenderEnv env;
  // One clock for ingest and the sender, moved by hand: the old failure is made ten minutes old
  // without waiting, and nothing else depends on how fast this machine is.
  ManualClock clock(SystemClock::instance().nowMs());
  ApiServer api(env.kafka, *env.producer, permissive(), clock);
  auto ep = createEndpoint(api, env.receiver.url("ep"));
  env.receiver.behave("ep", {.status = 410});
  auto config = env.senderConfig("0,0,0");  // retries are due at once on the manual clock
  config.delivery.jitter_percent = 0;
  config.delivery.disable_after_ms = 60'000;
  auto app = env.startSender(config, clock);

  env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, true); }, 30s));
  ASSERT_TRUE(waitFor([&] { return env.deadLetters().size() == 1; }, 30s));
  // The endpoint has been failing since that 410; let the clock run far past disable_after.
  clock.advance(10 * 60'000);

  env.receiver.behave("ep", {.fail_first = 1});  // each event: 500 on its first attempt, then 200
  ASSERT_EQ(api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/enable").status, 200);
  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, false); }, 10s));
  auto ids = env.produceEvents("pa", 1, event_type::kCompleted);
  // Counted from the 410 the endpoint would have been failing for ten minutes at this first 500 and
  // be disabled again at once, the event dead-lettered. Counted from the enable it is retried.
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("ep").count(ids[0]) == 1; }, 30s))
      << "dead letters: " << env.deadLetters().size();
  std::vector<int> answers;
  for (const auto& h : env.receiver.hits("ep")) {
    if (h.id == ids[0]) answers.push_back(h.answered);
  }
  EXPECT_EQ(answers, (std::vector<int>{500, 200}));
  EXPECT_TRUE(senderSees(*app, ep.id, false));
  EXPECT_EQ(env.deadLetters().size(), 1u);
}

TEST(WebhookEndpointEnable, AnOperatorPausesAndResumesAnEndpointWithTheCli) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto ep = createEndpoint(api, env.receiver.url("ep"));
  auto marker = createEndpoint(api, env.receiver.url("marker"));
  auto app = env.startSender(env.senderConfig());

  int code = -1;
  std::string out = runCli(api, {"-q", "webhooks", "disable", ep.id, "--reason", "receiver under maintenance"}, code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"disabled\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("\"disabled_reason\":\"receiver under maintenance\""), std::string::npos) << out;
  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, true); }, 10s));
  auto paused = env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("marker").count(paused[0]) == 1; }, 30s));
  EXPECT_EQ(env.receiver.count("ep"), 0u);

  out = runCli(api, {"-q", "webhooks", "enable", ep.id}, code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"disabled\":false"), std::string::npos) << out;
  ASSERT_TRUE(waitFor([&] { return senderSees(*app, ep.id, false); }, 10s));
  auto resumed = env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("ep").count(resumed[0]) == 1; }, 30s));
  EXPECT_EQ(env.receiver.ids("ep"), std::set<std::string>{resumed[0]});
  EXPECT_TRUE(env.deadLetters().empty());  // a pause with nothing pending dead-letters nothing

  out = runCli(api, {"-q", "webhooks", "enable", "ep_missing"}, code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("404"), std::string::npos) << out;
  (void)marker;
}

TEST(WebhookEndpointEnable, EnableAndDisableAreAuthenticatedScopedAndStrict) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto ep = createEndpoint(api, "http://127.0.0.1:9/hook");
  std::string before = api.call("GET", "/v1/webhook-endpoints/" + ep.id).body;
  for (std::string action : {"/enable", "/disable"}) {
    EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints/ep_missing" + action).status, 404) << action;
    EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints/" + ep.id + action, {}, "key-b").status, 404) << action;
    EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints/" + ep.id + action, {}, "").status, 401) << action;
  }
  auto bad = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/disable", R"({"reason":5,"until":"x"})");
  ASSERT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"reason")"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find(R"("field":"until")"), std::string::npos) << bad.body;
  auto bad_enable = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/enable", R"({"force":true})");
  ASSERT_EQ(bad_enable.status, 400);
  EXPECT_NE(bad_enable.body.find(R"("field":"force")"), std::string::npos) << bad_enable.body;
  auto not_json = httpRequest("POST", api.url() + "/v1/webhook-endpoints/" + ep.id + "/disable", "reason=x",
                              {{"Authorization", "Bearer key-a"}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(not_json.status, 415);
  // Nothing was accepted.
  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints/" + ep.id).body, before);

  auto paused = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/disable");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_STREQ(parseJson(paused.body)["disabled_reason"].GetString(), "disabled through the API");
  // Enabling an enabled endpoint, or disabling a disabled one, is allowed and answers the state.
  EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/disable").status, 200);
  EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/enable").status, 200);
  auto again = api.call("POST", "/v1/webhook-endpoints/" + ep.id + "/enable", "{}");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(parseJson(again.body)["disabled"].GetBool());
}
