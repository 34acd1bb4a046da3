// The read side against a real broker: runs and batches as the view sees them through a whole
// batch, paging, filters, project scoping, bad parameters, a second instance and a restart.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <cctype>
#include <set>

#include "batchrun/common/ids.hpp"
#include "read_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

std::string statusOf(ReadHarness& h, const std::string& base, const std::string& run_id) {
  auto r = h.get(base, "/v1/runs/" + run_id);
  if (r.status != 200) return "http " + std::to_string(r.status);
  return parse(r.body)["status"].GetString();
}

int countOf(const rapidjson::Document& batch, const char* status) { return batch["counts"][status].GetInt(); }

TEST(ReadApi, StatusAndCountsThroughAWholeBatch) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 20; ++i) runs.push_back(h.makeRun("project-a", batch, i, 20));
  h.produceLane(runs);

  auto batchIs = [&](const std::string& want_in_body) {
    return waitFor([&] { return h.get(base, "/v1/batches/" + batch).body.find(want_in_body) != std::string::npos; }, 30s);
  };
  ASSERT_TRUE(batchIs("\"queued\":20")) << h.get(base, "/v1/batches/" + batch).body;
  auto one = parse(h.get(base, "/v1/runs/" + runs[3].run_id).body);
  EXPECT_STREQ(one["status"].GetString(), "queued");
  EXPECT_STREQ(one["batch_id"].GetString(), batch.c_str());
  EXPECT_EQ(one["input"]["i"].GetInt(), 3);
  EXPECT_STREQ(one["metadata"]["tag"].GetString(), "t0");

  std::vector<batchrun::Run*> all;
  for (auto& r : runs) all.push_back(&r);
  h.transitionAll(all, RunStatus::kRunning);
  ASSERT_TRUE(batchIs("\"running\":20"));
  EXPECT_EQ(parse(h.get(base, "/v1/runs/" + runs[0].run_id).body)["attempt"].GetInt(), 1);

  std::vector<batchrun::Run*> done(all.begin(), all.begin() + 15), failed(all.begin() + 15, all.end());
  h.transitionAll(done, RunStatus::kCompleted);
  h.transitionAll(failed, RunStatus::kFailed);
  ASSERT_TRUE(batchIs("\"completed\":15"));
  ASSERT_TRUE(batchIs("\"failed\":5"));
  auto b = parse(h.get(base, "/v1/batches/" + batch).body);
  EXPECT_EQ(b["total"].GetInt(), 20);
  EXPECT_EQ(b["terminal"].GetInt(), 20);
  EXPECT_DOUBLE_EQ(b["progress"].GetDouble(), 1.0);
  EXPECT_TRUE(b["completed_at"].IsString());
  EXPECT_TRUE(b["created_at"].IsString());
  EXPECT_EQ(countOf(b, "queued"), 0);
  // A UUID in any case is the same id (ingest writes them in lower case).
  std::string upper = batch;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto bu = h.get(base, "/v1/batches/" + upper);
  ASSERT_EQ(bu.status, 200) << bu.body;
  EXPECT_STREQ(parse(bu.body)["batch_id"].GetString(), batch.c_str());
  auto f = parse(h.get(base, "/v1/runs/" + runs[17].run_id).body);
  EXPECT_STREQ(f["status"].GetString(), "failed");
  EXPECT_STREQ(f["error"]["code"].GetString(), "worker_error");
  EXPECT_TRUE(f["completed_at"].IsString());
  EXPECT_TRUE(f["started_at"].IsString());
  auto c = parse(h.get(base, "/v1/runs/" + runs[1].run_id).body);
  EXPECT_TRUE(c["output"]["ok"].GetBool());

  // An older record read late (a lane record duplicate) never moves a run backwards.
  h.produceLane({runs[1]});
  batchrun::Run probe = h.makeRun("project-a", batch, 99, 20);
  h.produceLane({probe});  // same partitions, read after the duplicate
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + probe.run_id).status == 200; }, 30s));
  EXPECT_EQ(statusOf(h, base, runs[1].run_id), "completed");
}

TEST(ReadApi, PagingThrough5000RunsWithChangesInBetweenNeverSkipsOrRepeats) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 5000; ++i) runs.push_back(h.makeRun("project-a", batch, i, 5000));
  h.produceLane(runs);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + batch).body.find("\"queued\":5000") != std::string::npos; }, 60s));

  for (const char* filter : {"batch_id=" , ""}) {
    std::set<std::string> seen;
    std::string last;
    std::string cursor;
    int pages = 0;
    size_t changed = 0;
    while (true) {
      std::string path = "/v1/runs?limit=337";
      if (*filter) path += "&" + std::string(filter) + batch;
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto r = h.get(base, path);
      ASSERT_EQ(r.status, 200) << r.body;
      auto d = parse(r.body);
      for (auto& run : d["runs"].GetArray()) {
        std::string id = run["run_id"].GetString();
        EXPECT_TRUE(seen.insert(id).second) << "repeated " << id;
        EXPECT_LT(last, id) << "out of order";
        last = id;
      }
      ++pages;
      // Runs keep changing between pages: some already paged, some not yet.
      std::vector<batchrun::Run*> batch_of_changes;
      for (size_t k = 0; k < 150 && changed < runs.size(); ++k, changed += 7) batch_of_changes.push_back(&runs[changed]);
      if (!batch_of_changes.empty()) h.transitionAll(batch_of_changes, RunStatus::kRunning, false);
      if (d["next_cursor"].IsNull()) break;
      cursor = d["next_cursor"].GetString();
    }
    EXPECT_EQ(seen.size(), runs.size()) << filter;
    EXPECT_EQ(pages, (5000 + 336) / 337) << filter;
  }
}

TEST(ReadApi, FiltersCombineAndBadParametersAreNamed) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string b1 = uuidv7(), b2 = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 12; ++i) runs.push_back(h.makeRun("project-a", i < 8 ? b1 : b2, i, i < 8 ? 8 : 4, i % 2 ? "odd" : "even"));
  h.produceLane(runs);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + b2).body.find("\"queued\":4") != std::string::npos; }, 30s));
  h.transitionAll({&runs[0], &runs[1], &runs[2], &runs[9]}, RunStatus::kRunning, false);
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + b2).body.find("\"running\":1") != std::string::npos; }, 30s));
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/batches/" + b1).body.find("\"running\":3") != std::string::npos; }, 30s));

  auto ids = [&](const std::string& query) {
    auto r = h.get(base, "/v1/runs?" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::set<std::string> out;
    auto d = parse(r.body);
    for (auto& run : d["runs"].GetArray()) out.insert(run["run_id"].GetString());
    return out;
  };
  EXPECT_EQ(ids("batch_id=" + b1).size(), 8u);
  EXPECT_EQ(ids("status=running").size(), 4u);
  EXPECT_EQ(ids("batch_id=" + b1 + "&status=running").size(), 3u);
  EXPECT_EQ(ids("batch_id=" + b1 + "&status=running&workflow_id=odd"), (std::set<std::string>{runs[1].run_id}));
  EXPECT_EQ(ids("workflow_id=odd&status=queued").size(), 4u);  // 3,5,7,11
  EXPECT_EQ(ids("workflow_id=nope").size(), 0u);
  std::string future = "2999-01-01T00:00:00Z";
  EXPECT_EQ(ids("created_after=" + future).size(), 0u);
  EXPECT_EQ(ids("created_before=" + future + "&batch_id=" + b2).size(), 4u);
  EXPECT_EQ(ids("created_after=" + std::to_string(runs[0].created_at) + "&limit=1000").size(), 12u);

  for (auto [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"}, {"status=done", "status"},
           {"batch_id=xyz", "batch_id"}, {"created_after=yesterday", "created_after"},
           {"created_before=2026-13-01", "created_before"}, {"cursor=%%%", "cursor"}, {"colour=red", "colour"}}) {
    auto r = h.get(base, "/v1/runs?" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_NE(r.body.find("\"field\":\"" + param + "\""), std::string::npos) << query << " " << r.body;
  }
}

TEST(ReadApi, CrossProjectReadsAreRefused) {
  ReadHarness h;
  std::string base = h.startIngest();
  std::string batch = uuidv7();
  batchrun::Run a = h.makeRun("project-a", batch, 0, 1);
  h.produceLane({a});
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + a.run_id).status == 200; }, 30s));
  EXPECT_EQ(h.get(base, "/v1/runs/" + a.run_id, kKeyB).status, 404);
  EXPECT_EQ(h.get(base, "/v1/batches/" + batch, kKeyB).status, 404);
  EXPECT_EQ(h.get(base, "/v1/batches/" + batch + "/events", kKeyB).status, 404);
  EXPECT_EQ(h.get(base, "/v1/runs?batch_id=" + batch, kKeyB).body.find(a.run_id), std::string::npos);
  EXPECT_EQ(h.get(base, "/v1/runs", kKeyB).body.find(a.run_id), std::string::npos);
  EXPECT_EQ(h.post(base, "/v1/runs/" + a.run_id + "/cancel", "", kKeyB).status, 404);
  EXPECT_EQ(h.post(base, "/v1/batches/" + batch + "/cancel", "", kKeyB).status, 404);
  EXPECT_EQ(h.post(base, "/v1/runs/" + a.run_id + "/result", R"({"status":"completed"})", kKeyB).status, 404);
  EXPECT_EQ(h.get(base, "/v1/runs/" + a.run_id, nullptr).status, 401);
  EXPECT_EQ(h.get(base, "/v1/runs/" + a.run_id, "wrong-key").status, 401);
}

TEST(ReadApi, ASecondInstanceStartedLaterAndARestartServeTheSameAnswers) {
  ReadHarness h;
  std::string first = h.startIngest();
  std::string batch = uuidv7();
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 30; ++i) runs.push_back(h.makeRun("project-a", batch, i, 30));
  // Two requests: two index records.
  h.produceLane({runs.begin(), runs.begin() + 15});
  h.produceLane({runs.begin() + 15, runs.end()});
  std::vector<batchrun::Run*> some;
  for (int i = 0; i < 10; ++i) some.push_back(&runs[i]);
  h.transitionAll(some, RunStatus::kRunning);
  h.transitionAll(some, RunStatus::kCompleted);
  ASSERT_TRUE(waitFor([&] { return h.get(first, "/v1/batches/" + batch).body.find("\"completed\":10") != std::string::npos; }, 30s));

  auto answers = [&](const std::string& base) {
    auto b = parse(h.get(base, "/v1/batches/" + batch).body);
    b.RemoveMember("completed_at");
    std::string out = h.get(base, "/v1/runs?batch_id=" + batch + "&limit=1000").body;
    return out + std::to_string(countOf(b, "completed")) + "/" + std::to_string(countOf(b, "queued"));
  };
  std::string expected = answers(first);
  std::string second = h.startIngest();  // ready means caught up: answers right away
  EXPECT_EQ(answers(second), expected);

  h.stopIngest(0);
  std::string restarted = h.startIngest();
  EXPECT_EQ(answers(restarted), expected);
}

// A batch accepted over HTTP by one instance is read on another (which learns of it from the
// request's runs.index record, not from the lane records) and by the first after a restart.
TEST(ReadApi, ABatchAcceptedByOneInstanceIsServedByAnotherAndAfterARestart) {
  ReadHarness h;
  std::string first = h.startIngest();
  std::string second = h.startIngest();
  std::string body = R"({"workflow_id":"wf","runs":[)";
  for (int i = 0; i < 40; ++i) {
    if (i) body += ',';
    body += R"({"input":{"i":)" + std::to_string(i) + R"(},"destination":"http://127.0.0.1:9/run"})";
  }
  body += "]}";
  auto accepted = h.post(first, "/v1/batches", body);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  auto d = parse(accepted.body);
  const std::string batch = d["batch_id"].GetString();
  const std::string last_run = d["runs"][39]["run_id"].GetString();
  // The accepting instance has read its own writes when it answers.
  auto own = parse(h.get(first, "/v1/batches/" + batch).body);
  EXPECT_EQ(countOf(own, "queued"), 40);

  for (const std::string& base : {second, std::string()}) {
    std::string at = base;
    if (at.empty()) {
      h.stopIngest(0);
      at = h.startIngest();  // ready means caught up
    }
    ASSERT_TRUE(waitFor([&] { return h.get(at, "/v1/batches/" + batch).body.find("\"queued\":40") != std::string::npos; }, 30s))
        << h.get(at, "/v1/batches/" + batch).body;
    auto run = h.get(at, "/v1/runs/" + last_run);
    ASSERT_EQ(run.status, 200) << run.body;
    auto r = parse(run.body);
    EXPECT_EQ(std::string(r["status"].GetString()), "queued");
    EXPECT_EQ(std::string(r["batch_id"].GetString()), batch);
    EXPECT_NE(run.body.find(R"("input":{"i":39})"), std::string::npos) << run.body;  // read from its lane record
    EXPECT_EQ(parse(h.get(at, "/v1/runs?batch_id=" + batch + "&limit=100").body)["runs"].Size(), 40u);
  }
}

}  // namespace

// Runs are kept for the run retention (30 days by default): an older run read from Kafka (a
// restarted ingest reading the topics from the beginning) is not served, nor is its batch.
TEST(ReadApi, RunsOlderThanTheRunRetentionAreNotServed) {
  ReadHarness h;
  const std::string base = h.startIngest();
  const std::string old_batch = uuidv7(), new_batch = uuidv7();
  batchrun::Run old = h.makeRun("project-a", old_batch, 0, 1);
  old.created_at -= 31LL * 24 * 3600 * 1000;
  batchrun::Run fresh = h.makeRun("project-a", new_batch, 3, 1);  // the same partition, read after it
  ASSERT_EQ(old.partition, fresh.partition);
  h.produceLane({old});
  h.produceLane({fresh});
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + fresh.run_id).status == 200; }, 30s));
  EXPECT_EQ(h.get(base, "/v1/runs/" + old.run_id).status, 404);
  EXPECT_EQ(h.get(base, "/v1/batches/" + old_batch).status, 404);
  EXPECT_EQ(h.get(base, "/v1/batches/" + new_batch).status, 200);
}
