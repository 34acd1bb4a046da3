// GET /v1/batches/{id}/events against a real broker: replay then live, every event of the batch
// in per-run order, batch.completed last and the end of the stream, Last-Event-ID resume, and
// many concurrent streams.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <thread>

#include "batchrun/common/ids.hpp"
#include "read_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

struct Frame {
  std::string id, type, run_id;
};

std::vector<Frame> parseStream(const std::string& body) {
  std::vector<Frame> out;
  Frame f;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.rfind("id: ", 0) == 0) f.id = line.substr(4);
    else if (line.rfind("event: ", 0) == 0) f.type = line.substr(7);
    else if (line.rfind("data: ", 0) == 0) {
      rapidjson::Document d;
      d.Parse(line.c_str() + 6);
      if (!d.HasParseError() && d["data"].HasMember("run_id")) f.run_id = d["data"]["run_id"].GetString();
    } else if (line.empty() && !f.id.empty()) {
      out.push_back(f);
      f = {};
    }
  }
  return out;
}

// Every run's events arrive started → completed, each once; batch.completed comes last.
void expectComplete(const std::vector<Frame>& frames, const std::vector<batchrun::Run>& runs) {
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().type, "batch.completed");
  std::map<std::string, std::vector<std::string>> per_run;
  for (size_t i = 0; i + 1 < frames.size(); ++i) per_run[frames[i].run_id].push_back(frames[i].type);
  EXPECT_EQ(per_run.size(), runs.size());
  for (const auto& r : runs) {
    EXPECT_EQ(per_run[r.run_id], (std::vector<std::string>{"workflow_run.started", "workflow_run.completed"}))
        << r.run_id;
  }
}

TEST(ReadSse, ReplaysThenStreamsLiveEveryEventInPerRunOrderAndEndsAfterBatchCompleted) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 40; ++i) runs.push_back(h.makeRun("project-a", batch, i, 40));
  h.produceLane(runs);
  std::vector<batchrun::Run*> first, second;
  for (int i = 0; i < 40; ++i) (i < 20 ? first : second).push_back(&runs[i]);
  h.transitionAll(first, RunStatus::kRunning);
  h.transitionAll(first, RunStatus::kCompleted);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + batch).status == 200; }, 30s));

  // Many readers at once, connected before the rest of the batch happens.
  constexpr int kStreams = 12;
  std::vector<HttpResponse> got(kStreams);
  std::vector<std::thread> readers;
  for (int i = 0; i < kStreams; ++i) {
    readers.emplace_back([&, i] { got[i] = h.get(base, "/v1/batches/" + batch + "/events"); });
  }
  bool all_open = waitFor([&] { return h.app(0).readSide().openStreams() == kStreams; }, 30s);
  h.transitionAll(second, RunStatus::kRunning);
  h.transitionAll(second, RunStatus::kCompleted);
  h.produceBatchCompleted("project-a", batch, runs);
  for (auto& t : readers) t.join();  // every stream ends after batch.completed, open in time or not
  ASSERT_TRUE(all_open) << h.app(0).readSide().openStreams() << " open; first answer: " << got[0].status << " "
                        << got[0].body.substr(0, 300);
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(got[i].status, 200);
    EXPECT_NE(got[i].headers["content-type"].find("text/event-stream"), std::string::npos);
    auto frames = parseStream(got[i].body);
    expectComplete(frames, runs);
    EXPECT_EQ(frames.size(), 81u);
  }
  EXPECT_TRUE(waitFor([&] { return h.app(0).readSide().openStreams() == 0; }, 10s));

  // Resume: after the 30th event exactly the rest; after batch.completed nothing.
  auto all = parseStream(got[0].body);
  auto resumed = parseStream(h.get(base, "/v1/batches/" + batch + "/events", kKeyA, {{"Last-Event-ID", all[29].id}}).body);
  ASSERT_EQ(resumed.size(), all.size() - 30);
  for (size_t i = 0; i < resumed.size(); ++i) EXPECT_EQ(resumed[i].id, all[30 + i].id);
  auto after_end = h.get(base, "/v1/batches/" + batch + "/events", kKeyA, {{"Last-Event-ID", all.back().id}});
  EXPECT_EQ(after_end.status, 200);
  EXPECT_TRUE(parseStream(after_end.body).empty());

  // A second instance started later replays the whole batch from runs.events.
  std::string other = h.startIngest();
  expectComplete(parseStream(h.get(other, "/v1/batches/" + batch + "/events").body), runs);
}

TEST(ReadSse, ClientsThatLeaveEarlyAreDropped) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs = {h.makeRun("project-a", batch, 0, 2), h.makeRun("project-a", batch, 1, 2)};
  h.produceLane(runs);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + batch).status == 200; }, 30s));
  for (int i = 0; i < 8; ++i) {
    // A short client timeout: the stream never ends (the batch is not complete), the client goes.
    httpRequest("GET", base + "/v1/batches/" + batch + "/events", {}, {{"Authorization", std::string("Bearer ") + kKeyA}}, 300);
  }
  h.transitionAll({&runs[0], &runs[1]}, RunStatus::kRunning);  // writes to the closed connections
  EXPECT_TRUE(waitFor([&] { return h.app(0).readSide().openStreams() == 0; }, 30s));
  EXPECT_EQ(h.get(base, "/v1/batches/" + batch).status, 200);  // the server still answers
}

}  // namespace
