// Cancel and async-result requests against a real broker: the right control record at the run's
// own partition of runs.control, 409 for terminal runs, 400 naming the field for bad results.
#include <gtest/gtest.h>

#include <mutex>

#include "batchrun/common/records/control.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "read_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

struct Seen {
  std::string key;
  int32_t partition;
  ControlMessage message;
};

class ControlReader {
 public:
  explicit ControlReader(const KafkaSettings& s) {
    auto f = TopicFollower::start(s, {Topics(s).control}, [this](const Message& m) {
      auto c = decodeControl(m.value());
      std::lock_guard lock(mu_);
      if (c) seen_.push_back({std::string(m.key()), m.partition(), *c});
    });
    EXPECT_TRUE(f);
    follower_ = std::move(*f);
  }
  std::vector<Seen> forRun(const std::string& run_id) {
    std::lock_guard lock(mu_);
    std::vector<Seen> out;
    for (const auto& s : seen_) if (s.key == run_id) out.push_back(s);
    return out;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::unique_ptr<TopicFollower> follower_;
};

TEST(ReadControl, CancelProducesToTheRunsPartitionAndTerminalRunsAre409) {
  ReadHarness h(4);
  std::string base = h.startIngest();
  ControlReader control(h.settings);
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 8; ++i) runs.push_back(h.makeRun("project-a", batch, i, 8));
  h.produceLane(runs);
  h.transition(runs[1], RunStatus::kRunning);
  h.transition(runs[2], RunStatus::kRunning);
  h.transition(runs[2], RunStatus::kCompleted);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + batch).body.find("\"completed\":1") != std::string::npos; }, 30s));

  auto r = h.post(base, "/v1/runs/" + runs[1].run_id + "/cancel", "");
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(waitFor([&] { return control.forRun(runs[1].run_id).size() == 1; }, 30s));
  auto seen = control.forRun(runs[1].run_id).front();
  EXPECT_EQ(seen.partition, runs[1].partition);
  EXPECT_EQ(seen.message.type, ControlMessage::Type::kCancel);
  EXPECT_EQ(seen.message.project, "project-a");

  auto conflict = h.post(base, "/v1/runs/" + runs[2].run_id + "/cancel", "");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_NE(conflict.body.find("completed"), std::string::npos) << conflict.body;
  EXPECT_EQ(h.post(base, "/v1/runs/" + uuidv7() + "/cancel", "").status, 404);

  // The batch: every run not yet terminal (7 of 8), each to its own partition.
  auto b = h.post(base, "/v1/batches/" + batch + "/cancel", "");
  EXPECT_EQ(b.status, 202) << b.body;
  EXPECT_NE(b.body.find("\"runs\":7"), std::string::npos) << b.body;
  ASSERT_TRUE(waitFor([&] { return control.size() == 8; }, 30s));
  for (const auto& run : runs) {
    auto got = control.forRun(run.run_id);
    if (run.status == RunStatus::kCompleted) {
      EXPECT_TRUE(got.empty());
      continue;
    }
    ASSERT_FALSE(got.empty());
    for (const auto& g : got) EXPECT_EQ(g.partition, run.partition);
  }

  std::vector<batchrun::Run*> rest;
  for (auto& run : runs) if (!isTerminal(run.status)) rest.push_back(&run);
  h.transitionAll(rest, RunStatus::kCancelled);
  ASSERT_TRUE(waitFor([&] { return h.post(base, "/v1/batches/" + batch + "/cancel", "").status == 409; }, 30s));
}

TEST(ReadControl, AsyncResultIsValidatedAndProducedToTheRunsPartition) {
  ReadHarness h(4);
  std::string base = h.startIngest();
  ControlReader control(h.settings);
  batchrun::Run run = h.makeRun("project-a", "", 3, 0);
  h.produceLane({run});
  h.transition(run, RunStatus::kRunning);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + run.run_id).body.find("running") != std::string::npos; }, 30s));

  for (auto [body, field] : std::vector<std::pair<std::string, std::string>>{
           {"", "body"}, {"[]", "body"}, {"{}", "status"}, {R"({"status":"done"})", "status"},
           {R"({"status":"completed","extra":1})", "extra"}, {R"({"status":"failed","error":"boom"})", "error"},
           {R"({"status":"failed","error":{"message":"x"}})", "error.code"},
           {R"({"status":"failed","error":{"code":"E","why":"x"}})", "error.why"},
           {R"({"status":"completed","attempt":0})", "attempt"},
           {R"({"status":"completed","error":{"code":"E","message":"m"}})", "error"}}) {
    auto r = h.post(base, "/v1/runs/" + run.run_id + "/result", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find("\"field\":\"" + field + "\""), std::string::npos) << body << " → " << r.body;
  }
  EXPECT_EQ(control.size(), 0u);

  auto ok = h.post(base, "/v1/runs/" + run.run_id + "/result", R"({"status":"completed","output":{"answer":42},"attempt":1})");
  EXPECT_EQ(ok.status, 202) << ok.body;
  auto failed = h.post(base, "/v1/runs/" + run.run_id + "/result",
                       R"({"status":"failed","error":{"code":"E_BAD","message":"no"}})");
  EXPECT_EQ(failed.status, 202) << failed.body;
  ASSERT_TRUE(waitFor([&] { return control.forRun(run.run_id).size() == 2; }, 30s));
  auto seen = control.forRun(run.run_id);
  EXPECT_EQ(seen[0].partition, run.partition);
  EXPECT_EQ(seen[0].message.type, ControlMessage::Type::kResult);
  EXPECT_TRUE(seen[0].message.success);
  EXPECT_EQ(seen[0].message.output, R"({"answer":42})");
  EXPECT_EQ(seen[0].message.attempt, 1);
  EXPECT_FALSE(seen[1].message.success);
  EXPECT_EQ(seen[1].message.error_code, "E_BAD");
  EXPECT_EQ(seen[1].message.error_message, "no");

  h.transition(run, RunStatus::kCompleted);
  ASSERT_TRUE(waitFor([&] {
    return h.post(base, "/v1/runs/" + run.run_id + "/result", R"({"status":"completed"})").status == 409;
  }, 30s));
}

}  // namespace
