// The `batchrun` CLI against the running system (started by scripts/run, see local_system.hpp):
// 5,000 lines submitted, the CLI killed with SIGKILL half way — at the worst moment, after the API
// accepted a batch and before the journal recorded it — then run again with --wait: every line is
// submitted exactly once (the project holds exactly 5,000 runs) and results.jsonl is complete.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "batchrun/common/ids.hpp"
#include "http.hpp"
#include "kafka_env.hpp"
#include "local_system.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kLines = 5000;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

TEST(CliSubmitTest, KilledHalfWayThenRerunSubmitsEveryLineExactlyOnce) {
  LocalSystem system;
  std::string start_log;
  ASSERT_EQ(system.start(start_log), 0) << LocalSystem::missingParts(start_log) << "\n" << start_log;

  std::string dir = system.state_dir;
  std::string input = dir + "/runs.jsonl";
  {
    std::ofstream out(input);
    for (int i = 1; i <= kLines; ++i) out << "{\"n\":" << i << "}\n";
    out << "\n";  // blank lines are skipped
  }
  std::map<std::string, std::string> env = {{"BATCHRUN_URL", system.apiUrl()}, {"BATCHRUN_API_KEY", "dev-key"}};
  std::vector<std::string> args = {"submit", input, "--workflow", "demo", "--results", dir + "/results.jsonl"};

  // First run: hangs after the API accepted its 3rd batch of 1,000, before journalling it; kill -9.
  auto crash_env = env;
  crash_env["BATCHRUN_CLI_TEST_HANG_AFTER_ACCEPT"] = "3";
  ChildProcess first(binDir() + "/batchrun", crash_env, args);
  ASSERT_TRUE(waitFor([&] { return first.log().find("test hook") != std::string::npos || !first.running(); }, 120s))
      << first.log();
  ASSERT_TRUE(first.running()) << "the CLI ended before the crash point:\n" << first.log();
  first.kill9();
  EXPECT_EQ(lines(readFile(input + ".batchrun-journal")).size(), 2u) << "batches journalled before the crash";

  // Second run: skips the two journalled batches, re-sends the third (same Idempotency-Key → the
  // same batch), sends the rest, waits for every run and writes the results.
  auto again_args = args;
  again_args.push_back("--wait");
  ChildProcess second(binDir() + "/batchrun", env, again_args);
  ASSERT_TRUE(waitFor([&] { return !second.running(); }, 600s, 200ms)) << second.log();
  ASSERT_EQ(second.stop(), 0) << second.log();
  EXPECT_NE(second.log().find("2 already sent earlier"), std::string::npos) << second.log();
  EXPECT_NE(second.log().find("1 recognised by the API as repeats"), std::string::npos) << second.log();
  EXPECT_EQ(lines(readFile(input + ".batchrun-journal")).size(), 5u);

  // results.jsonl: one line per input line, in order, each completed with the worker's echo.
  auto results = lines(readFile(dir + "/results.jsonl"));
  ASSERT_EQ(results.size(), static_cast<size_t>(kLines));
  std::set<std::string> run_ids;
  for (int i = 0; i < kLines; ++i) {
    rapidjson::Document d;
    d.Parse(results[i].c_str());
    ASSERT_FALSE(d.HasParseError()) << results[i];
    EXPECT_EQ(d["line"].GetInt(), i + 1);
    EXPECT_STREQ(d["status"].GetString(), "completed") << results[i];
    EXPECT_EQ(d["input"]["n"].GetInt(), i + 1);
    EXPECT_TRUE(d["output"].IsObject() && d["output"].HasMember("echo")) << results[i];
    run_ids.insert(d["run_id"].GetString());
  }
  EXPECT_EQ(run_ids.size(), static_cast<size_t>(kLines));

  // The system holds exactly these runs: nothing was submitted twice.
  ChildProcess list(binDir() + "/batchrun", env, {"-q", "runs", "list", "--workflow", "demo", "--all", "--limit", "1000"});
  ASSERT_TRUE(waitFor([&] { return !list.running(); }, 120s, 100ms));
  ASSERT_EQ(list.stop(), 0) << list.log();
  std::set<std::string> listed;
  for (const auto& l : lines(list.log())) {
    rapidjson::Document d;
    d.Parse(l.c_str());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("run_id")) listed.insert(d["run_id"].GetString());
  }
  EXPECT_EQ(listed, run_ids);

  // A third run is a no-op: every batch is in the journal.
  ChildProcess third(binDir() + "/batchrun", env, args);
  ASSERT_TRUE(waitFor([&] { return !third.running(); }, 120s, 100ms));
  EXPECT_EQ(third.stop(), 0) << third.log();
  EXPECT_NE(third.log().find("0 sent now, 5 already sent earlier"), std::string::npos) << third.log();
}

// Items with their own idempotency_key (--items): a second file repeats one of them next to a new
// item (the API answers it with the existing run, which belongs to the first file's batch), a third
// file holds only a repeat (its batch has no runs of its own: complete at once, total 0). --wait
// must still wait for and report every line.
TEST(CliSubmitTest, ItemsAnsweredWithExistingRunsAreWaitedForAndReported) {
  LocalSystem system;
  std::string start_log;
  ASSERT_EQ(system.start(start_log), 0) << LocalSystem::missingParts(start_log) << "\n" << start_log;
  std::map<std::string, std::string> env = {{"BATCHRUN_URL", system.apiUrl()}, {"BATCHRUN_API_KEY", "dev-key"}};
  const std::string item1 = R"({"input":{"n":1},"idempotency_key":"cli-item-1"})";
  const std::string item2 = R"({"input":{"n":2},"idempotency_key":"cli-item-2"})";
  const std::string fresh = R"({"input":{"n":3}})";

  struct Outcome {
    int code = -1;
    std::string log;
    std::vector<rapidjson::Document> results;
  };
  auto submit = [&](const std::string& name, const std::vector<std::string>& items) {
    const std::string file = system.state_dir + "/" + name;
    {
      std::ofstream out(file);
      for (const auto& i : items) out << i << "\n";
    }
    ChildProcess cli(binDir() + "/batchrun", env,
                     {"submit", file, "--workflow", "demo", "--items", "--wait", "--results", file + ".results"});
    Outcome o;
    if (!waitFor([&] { return !cli.running(); }, 300s, 100ms)) return o;
    o.code = cli.stop();
    o.log = cli.log();
    for (const auto& l : lines(readFile(file + ".results"))) {
      o.results.emplace_back().Parse(l.c_str());
    }
    return o;
  };
  auto runId = [](const rapidjson::Document& d) { return std::string(d["run_id"].GetString()); };
  auto completed = [](const rapidjson::Document& d) {
    return std::string(d["status"].GetString()) == "completed" && d["output"].IsObject();
  };

  auto first = submit("first.jsonl", {item1, item2});
  ASSERT_EQ(first.code, 0) << first.log;
  ASSERT_EQ(first.results.size(), 2u) << first.log;
  EXPECT_TRUE(completed(first.results[0]) && completed(first.results[1])) << first.log;

  auto second = submit("second.jsonl", {item2, fresh});
  ASSERT_EQ(second.code, 0) << second.log;
  ASSERT_EQ(second.results.size(), 2u) << second.log;
  EXPECT_EQ(runId(second.results[0]), runId(first.results[1])) << "the existing run answers the repeated item";
  EXPECT_TRUE(completed(second.results[0])) << second.log;
  EXPECT_TRUE(completed(second.results[1])) << second.log;
  EXPECT_EQ(second.results[1]["input"]["input"]["n"].GetInt(), 3);  // with --items, "input" is the line

  auto third = submit("third.jsonl", {item1});
  ASSERT_EQ(third.code, 0) << third.log;
  ASSERT_EQ(third.results.size(), 1u) << third.log;
  EXPECT_EQ(runId(third.results[0]), runId(first.results[0]));
  EXPECT_TRUE(completed(third.results[0])) << third.log;
}

TEST(CliSubmitTest, ReportsInvalidLinesAndConfigProblemsWithExitCodes) {
  std::string input = "/tmp/batchrun-cli-bad-" + batchrun::uuidv7() + ".jsonl";
  std::ofstream(input) << "{\"ok\":1}\nnot json\n{\"ok\":2}\n{broken\n";
  ChildProcess bad(binDir() + "/batchrun", {{"BATCHRUN_API_KEY", "k"}, {"BATCHRUN_URL", "http://127.0.0.1:1"}},
                   {"submit", input, "--workflow", "demo"});
  ASSERT_TRUE(waitFor([&] { return !bad.running(); }, 30s));
  EXPECT_EQ(bad.stop(), 4);
  EXPECT_NE(bad.log().find("line 2: not valid JSON"), std::string::npos) << bad.log();
  EXPECT_NE(bad.log().find("line 4: not valid JSON"), std::string::npos) << bad.log();
  std::remove(input.c_str());

  ChildProcess no_key(binDir() + "/batchrun", {{"BATCHRUN_API_KEY", ""}, {"XDG_CONFIG_HOME", "/nonexistent"}},
                      {"batch", "status", "b"});
  ASSERT_TRUE(waitFor([&] { return !no_key.running(); }, 30s));
  EXPECT_EQ(no_key.stop(), 2);
  EXPECT_NE(no_key.log().find("no API key"), std::string::npos) << no_key.log();

  ChildProcess unreachable(binDir() + "/batchrun",
                           {{"BATCHRUN_API_KEY", "k"}, {"BATCHRUN_URL", "http://127.0.0.1:" + std::to_string(freePort())}},
                           {"-q", "webhooks", "create", "--url", "https://example.invalid/hook"});
  ASSERT_TRUE(waitFor([&] { return !unreachable.running(); }, 60s));
  EXPECT_EQ(unreachable.stop(), 1);
  EXPECT_NE(unreachable.log().find("no answer from the API"), std::string::npos) << unreachable.log();
}

}  // namespace
