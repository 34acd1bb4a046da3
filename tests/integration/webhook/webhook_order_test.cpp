// What an endpoint sees, as the subscriber is promised (docs/events.md "The same events as
// webhooks"): every event produced after its creation answered 201 — none after its deletion or
// disabling answered — whatever the sender's endpoint view lags; and, per endpoint,
// batch.completed after every delivery of the batch's run events, also when those were retried.
// Ingest's API (WebhookEndpointRoutes over HTTP), the webhook-sender App and a real receiver, on
// the real broker. The view is made to lag by writing other projects' endpoint records just
// before the change: the sender must read all of them before it sees the change.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "api_server.hpp"
#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/events.hpp"
#include "sender_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kFillerEndpoints = 20'000;

// Another project's endpoint records, written as fast as the producer takes them, so that the
// sender's view of webhooks.endpoints is that far behind whatever comes next.
void loadEndpointsTopic(SenderEnv& env) {
  for (int i = 0; i < kFillerEndpoints; ++i) {
    WebhookEndpoint e;
    e.id = newEndpointId();
    e.project = "filler";
    e.url = "http://127.0.0.1:9/filler";
    e.secrets = {{newWebhookSecret(), 0}};
    e.created_at = e.updated_at = SystemClock::instance().nowMs();
    while (!env.producer->produce({env.topics.endpoints, e.id, encodeEndpoint(e), {}}, nullptr, nullptr)) {
      env.producer->flush(100);
    }
  }
  // Acknowledged before the change under test is written: the view has to read past all of it.
  EXPECT_EQ(env.producer->flush(30000), 0);
}

std::string createEndpoint(ApiServer& api, const std::string& url, const std::string& types = {}) {
  std::string body = "{\"url\":\"" + url + "\"" + (types.empty() ? "" : ",\"event_types\":[" + types + "]") + "}";
  auto r = api.call("POST", "/v1/webhook-endpoints", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.status == 201 ? parseJson(r.body)["id"].GetString() : "";
}

std::set<std::string> asSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::set<std::string> intersection(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

std::set<std::string> hitIds(Receiver& r, const std::string& name) {
  std::set<std::string> out;
  for (const auto& h : r.hits(name)) out.insert(h.id);
  return out;
}

// A batch as the dispatcher records it: each run's `started` and terminal event (key run id,
// header batchrun_batch_id), all acknowledged, then `batch.completed` (key batch id). The ids are
// known before anything is produced, so a receiver can be told which to fail.
struct Batch {
  std::string id = uuidv7();
  std::vector<Run> runs;
  std::vector<std::string> run_event_ids;
  std::vector<std::string> completed_ids;  // the runs' terminal events
  std::string batch_completed_id;
};

BatchSummary summaryOf(const Batch& b, const std::string& project) {
  BatchSummary s;
  s.project = project;
  s.batch_id = b.id;
  s.total = static_cast<int>(b.runs.size());
  s.counts["completed"] = s.total;
  return s;
}

Batch makeBatch(const std::string& project, int runs) {
  Batch b;
  for (int i = 0; i < runs; ++i) {
    Run run;
    run.run_id = uuidv7();
    run.batch_id = b.id;
    run.project = project;
    run.workflow_id = "wf";
    run.input = "{}";
    run.attempt = 1;
    b.run_event_ids.push_back(runEventId(run, event_type::kStarted));
    b.run_event_ids.push_back(runEventId(run, event_type::kCompleted));
    b.completed_ids.push_back(b.run_event_ids.back());
    b.runs.push_back(std::move(run));
  }
  for (const auto& [k, v] : makeBatchCompletedEvent("t", summaryOf(b, project), 0).headers) {
    if (k == header::kId) b.batch_completed_id = v;
  }
  return b;
}

// Every batch's run events, interleaved batch by batch, all acknowledged; then each batch.completed.
void produceBatches(SenderEnv& env, std::vector<Batch>& batches) {
  int64_t now = SystemClock::instance().nowMs();
  for (size_t i = 0; i < batches.front().runs.size(); ++i) {
    for (auto& b : batches) {
      if (i >= b.runs.size()) continue;
      Run& run = b.runs[i];
      run.created_at = now;
      for (auto [status, type] : {std::pair{RunStatus::kRunning, event_type::kStarted},
                                  std::pair{RunStatus::kCompleted, event_type::kCompleted}}) {
        run.status = status;
        while (!env.producer->produce(makeRunEvent(env.topics.events, run, type, now), nullptr, nullptr)) {
          env.producer->flush(100);
        }
      }
    }
  }
  ASSERT_EQ(env.producer->flush(30000), 0);
  for (const auto& b : batches) {
    auto r = env.producer->produceSync(makeBatchCompletedEvent(env.topics.events, summaryOf(b, b.runs[0].project), now));
    ASSERT_TRUE(r && r->ok);
  }
}

void produceBatch(SenderEnv& env, Batch& b) {
  std::vector<Batch> one{b};
  produceBatches(env, one);
  b = std::move(one.front());
}

// Position of the first 2xx answer to `id` in the receiver's log of `name` (-1: none).
long firstAccepted(const std::vector<Hit>& hits, const std::string& id) {
  for (size_t i = 0; i < hits.size(); ++i) {
    if (hits[i].id == id && hits[i].answered / 100 == 2) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace

TEST(WebhookOrder, AnEndpointGetsEveryEventProducedAfterItsCreationWasAnswered) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  createEndpoint(api, env.receiver.url("early"));
  auto sender = env.startSender(env.senderConfig());
  // Once an event has reached "early", the sender consumes runs.events: what comes next is read at once.
  env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("early").size() == 1; }, 30s));
  loadEndpointsTopic(env);
  std::string id = createEndpoint(api, env.receiver.url("new"));
  ASSERT_FALSE(id.empty());
  // Right after the 201, as a dispatcher would: the sender reads these long before its view has
  // read past the filler to the new endpoint.
  auto ids = env.produceEvents("pa", 50, event_type::kCompleted);
  // "early" gets them all once they were routed; then every delivery to "new" has settled too.
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("early").size() == 51; }, 60s));
  ASSERT_TRUE(waitFor([&] { return env.metric(*sender, "batchrun_webhook_pending_events") == 0; }, 30s));
  EXPECT_EQ(env.receiver.ids("new"), asSet(ids)) << env.receiver.ids("new").size() << " of " << ids.size();
}

TEST(WebhookOrder, NothingProducedAfterADeleteOrDisableWasAnsweredIsDelivered) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  std::string gone = createEndpoint(api, env.receiver.url("gone"));
  std::string paused = createEndpoint(api, env.receiver.url("paused"));
  createEndpoint(api, env.receiver.url("control"));  // stays: shows when the events were routed
  auto sender = env.startSender(env.senderConfig());
  auto before = env.produceEvents("pa", 5, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] {
    return env.receiver.ids("gone").size() == 5 && env.receiver.ids("paused").size() == 5 &&
           env.receiver.ids("control").size() == 5;
  }, 30s));

  loadEndpointsTopic(env);
  ASSERT_EQ(api.call("DELETE", "/v1/webhook-endpoints/" + gone).status, 204);
  ASSERT_EQ(api.call("POST", "/v1/webhook-endpoints/" + paused + "/disable").status, 200);
  auto after = env.produceEvents("pa", 30, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("control").size() == 35; }, 60s))
      << env.receiver.ids("control").size();
  // Every event was routed (control has them all) and every delivery settled: anything sent to the
  // other two has arrived by now.
  ASSERT_TRUE(waitFor([&] { return env.metric(*sender, "batchrun_webhook_pending_events") == 0; }, 30s));
  EXPECT_EQ(intersection(hitIds(env.receiver, "gone"), asSet(after)), std::set<std::string>{});
  EXPECT_EQ(intersection(hitIds(env.receiver, "paused"), asSet(after)), std::set<std::string>{});
  EXPECT_EQ(env.receiver.ids("control"), [&] {
    auto all = asSet(before);
    all.merge(asSet(after));
    return all;
  }());
}

// Under load, on two sender instances (the runs' events, the batch.completed events and the
// endpoints' retry partitions are spread over both): four batches of 100 runs, interleaved.
TEST(WebhookOrder, BatchCompletedReachesEachEndpointAfterTheBatchsRunEventsEvenWhenTheyWereRetried) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  createEndpoint(api, env.receiver.url("flaky"));
  createEndpoint(api, env.receiver.url("steady"));
  createEndpoint(api, env.receiver.url("completions"), "\"workflow_run.completed\",\"batch.completed\"");
  createEndpoint(api, env.receiver.url("batches"), "\"batch.completed\"");
  // Five attempts 200 ms apart: the failing deliveries are retried, never dead-lettered.
  auto config = env.senderConfig("0,200,200,200,200");
  std::vector<std::unique_ptr<webhook::App>> senders;
  senders.push_back(env.startSender(config));
  senders.push_back(env.startSender(config));
  // Both instances consume runs.events before the batches come: events of a project without
  // endpoints until each has routed some.
  ASSERT_TRUE(waitFor([&] {
    env.produceEvents("warm-up", 6, event_type::kCompleted);
    return env.metric(*senders[0], "batchrun_webhook_events_total") > 0 &&
           env.metric(*senders[1], "batchrun_webhook_events_total") > 0;
  }, 60s, 200ms));
  auto sum = [&](const std::string& series) {
    return env.metric(*senders[0], series) + env.metric(*senders[1], series);
  };

  std::vector<Batch> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(makeBatch("pa", 100));
  // "flaky" answers 500 to the first attempt of every seventh run event (started and completed
  // ones): those are retried through webhooks.retry. "completions" answers 503 once, which pauses
  // it for a second: its first attempts meanwhile are deferred to webhooks.retry (as are those
  // beyond its in-flight cap under this load).
  std::set<std::string> failing;
  for (const auto& b : batches) {
    for (size_t i = 0; i < b.run_event_ids.size(); i += 7) failing.insert(b.run_event_ids[i]);
  }
  env.receiver.behave("flaky", {.fail_first = 1, .fail_ids = failing});
  env.receiver.behave("completions", {.fail_first = 1, .fail_status = 503, .fail_ids = {batches[0].completed_ids.front()}});
  produceBatches(env, batches);

  auto arrived = [&](const std::string& name) {
    auto got = env.receiver.ids(name);
    return std::all_of(batches.begin(), batches.end(),
                       [&](const Batch& b) { return got.count(b.batch_completed_id) == 1; });
  };
  ASSERT_TRUE(waitFor([&] { return arrived("flaky") && arrived("steady") && arrived("completions") && arrived("batches"); },
                      120s))
      << "every batch.completed at flaky " << arrived("flaky") << ", steady " << arrived("steady") << ", completions "
      << arrived("completions") << ", batches " << arrived("batches") << "; held "
      << sum("batchrun_webhook_batch_completed_held") << ", retry backlog " << sum("batchrun_webhook_retry_backlog")
      << ", flaky has " << env.receiver.ids("flaky").size() << ", steady " << env.receiver.ids("steady").size();
  std::cout << "deferred first attempts: " << sum("batchrun_webhook_deferred_total")
            << ", retries scheduled: " << sum("batchrun_webhook_retries_scheduled_total") << "\n";
  for (const auto& b : batches) {
    std::map<std::string, std::vector<std::string>> wanted = {
        {"flaky", b.run_event_ids}, {"steady", b.run_event_ids}, {"completions", b.completed_ids}};
    for (const auto& [name, ids] : wanted) {
      auto hits = env.receiver.hits(name);
      long last_word = firstAccepted(hits, b.batch_completed_id);
      ASSERT_GE(last_word, 0) << name;
      for (const auto& id : ids) {
        long at = firstAccepted(hits, id);
        EXPECT_GE(at, 0) << name << ": " << id << " never delivered";
        EXPECT_LT(at, last_word) << name << ": " << id << " delivered after batch " << b.id << "'s batch.completed";
      }
    }
  }
  EXPECT_EQ(env.receiver.hits("batches").size(), batches.size());
  // The ordering was tested against real retries, on both instances.
  size_t failed = 0;
  for (const auto& h : env.receiver.hits("flaky")) failed += h.answered == 500 ? 1 : 0;
  EXPECT_GE(failed, failing.size());
  EXPECT_GT(env.metric(*senders[0], "batchrun_webhook_events_total"), 0);
  EXPECT_GT(env.metric(*senders[1], "batchrun_webhook_events_total"), 0);
  EXPECT_TRUE(env.deadLetters().empty());
}

TEST(WebhookOrder, AHeldBatchCompletedStaysBehindTheBatchsRetriesAcrossARestart) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  createEndpoint(api, env.receiver.url("x"));
  Batch batch = makeBatch("pa", 50);
  // Five of the runs' events fail until the restart (500: no pause, retried every second), so
  // their retries are pending in webhooks.retry when the first sender stops.
  std::set<std::string> failing;
  for (size_t i = 0; i < batch.run_event_ids.size(); i += 20) failing.insert(batch.run_event_ids[i]);
  env.receiver.behave("x", {.fail_first = 1000, .fail_ids = failing});
  auto config = env.senderConfig("0,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000");
  auto arrived = [&] { return env.receiver.ids("x").count(batch.batch_completed_id) == 1; };
  {
    auto first = env.startSender(config);
    produceBatch(env, batch);
    ASSERT_TRUE(waitFor([&] {
      return arrived() || env.metric(*first, "batchrun_webhook_batch_completed_held") == 1;
    }, 30s));
    EXPECT_FALSE(arrived()) << "batch.completed was sent while run events were still being retried";
    first->stop();
  }
  env.receiver.behave("x", {});
  auto second = env.startSender(config);
  ASSERT_TRUE(waitFor(arrived, 60s));
  auto hits = env.receiver.hits("x");
  long last_word = firstAccepted(hits, batch.batch_completed_id);
  for (const auto& id : batch.run_event_ids) {
    long at = firstAccepted(hits, id);
    EXPECT_GE(at, 0) << id << " never delivered";
    EXPECT_LT(at, last_word) << id << " delivered after batch.completed";
  }
  EXPECT_TRUE(env.deadLetters().empty());
}
