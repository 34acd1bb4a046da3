// The CLI's pure parts: batching and idempotency keys, request bodies, the journal (torn lines),
// config precedence (and the local profile scripts/run writes), Retry-After, API error text with
// input line numbers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "batchrun/cli/api_client.hpp"
#include "batchrun/cli/config.hpp"
#include "batchrun/cli/input_file.hpp"
#include "batchrun/cli/journal.hpp"

using namespace batchrun::cli;

namespace {

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "/cli-" + std::to_string(::getpid()) + "-" + name;
}

std::string writeLines(const std::string& name, int n, const std::string& extra = {}) {
  std::string p = tempPath(name);
  std::ofstream out(p);
  for (int i = 1; i <= n; ++i) out << "{\"n\":" << i << "}\n";
  out << extra;
  return p;
}

TEST(InputFileTest, CutsIntoBatchesWithStableKeysThatDependOnContentAndOptions) {
  SubmitOptions o{"demo", std::nullopt, false, 1000};
  std::string p = writeLines("a.jsonl", 2500, "\n   \n");
  InputFile f;
  ASSERT_FALSE(readInput(p, o, f));
  ASSERT_EQ(f.batches.size(), 3u);
  EXPECT_EQ(f.runs, 2500u);
  EXPECT_EQ(f.batches[2].lines.size(), 500u);
  EXPECT_EQ(f.batches[1].lines.front().number, 1001);

  InputFile again;
  ASSERT_FALSE(readInput(p, o, again));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.batches[i].idempotency_key, again.batches[i].idempotency_key);
  EXPECT_NE(f.batches[0].idempotency_key, f.batches[1].idempotency_key);

  // Appending lines keeps the keys of the batches already full.
  std::string longer = writeLines("b.jsonl", 2600);
  InputFile more;
  ASSERT_FALSE(readInput(longer, o, more));
  EXPECT_EQ(more.batches[0].idempotency_key, f.batches[0].idempotency_key);
  EXPECT_NE(more.batches[2].idempotency_key, f.batches[2].idempotency_key);

  // Another workflow or priority is another submission.
  InputFile other;
  o.priority = 5;
  ASSERT_FALSE(readInput(p, o, other));
  EXPECT_NE(other.batches[0].idempotency_key, f.batches[0].idempotency_key);
}

TEST(InputFileTest, ReportsEveryInvalidLineByNumber) {
  std::string p = tempPath("bad.jsonl");
  std::ofstream(p) << "{\"ok\":1}\n{nope\n\n42\n[1,\n";
  InputFile f;
  auto err = readInput(p, {"demo", std::nullopt, false, 1000}, f);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("2 invalid line(s)"), std::string::npos) << *err;
  EXPECT_NE(err->find("line 2: not valid JSON"), std::string::npos) << *err;
  EXPECT_NE(err->find("line 5: not valid JSON"), std::string::npos) << *err;

  // --items needs objects with an input.
  err = readInput(p.substr(0, 0) + writeLines("items.jsonl", 1), {"demo", std::nullopt, true, 1000}, f);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"input\""), std::string::npos) << *err;
}

TEST(InputFileTest, BatchBodyWrapsInputsOrPassesItems) {
  InputBatch b{0, {{1, R"({"a":1})"}, {2, "[2]"}}, "k"};
  EXPECT_EQ(batchBody(b, {"wf", 7, false, 1000}), R"({"workflow_id":"wf","priority":7,"runs":[{"input":{"a":1}},{"input":[2]}]})");
  InputBatch items{0, {{1, R"({"input":1,"concurrency_key":"t"})"}}, "k"};
  EXPECT_EQ(batchBody(items, {"wf", std::nullopt, true, 1000}),
            R"({"workflow_id":"wf","runs":[{"input":1,"concurrency_key":"t"}]})");
}

TEST(JournalTest, AppendsAndSkipsATornLastLine) {
  std::string p = tempPath("journal");
  std::remove(p.c_str());
  {
    Journal j(p);
    ASSERT_FALSE(j.load());
    ASSERT_FALSE(j.append({0, "k0", "b0", {"r1", "r2"}}));
  }
  { std::ofstream(p, std::ios::app) << "{\"index\":1,\"key\":\"k1\",\"ba"; }  // a crash mid-write
  Journal j(p);
  ASSERT_FALSE(j.load());
  ASSERT_NE(j.find("k0"), nullptr);
  EXPECT_EQ(j.find("k0")->run_ids, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(j.find("k1"), nullptr);
  ASSERT_FALSE(j.append({1, "k1", "b1", {"r3"}}));  // starts on a fresh line despite the torn one
  Journal reread(p);
  ASSERT_FALSE(reread.load());
  ASSERT_NE(reread.find("k1"), nullptr);
  EXPECT_EQ(reread.find("k1")->batch_id, "b1");
}

TEST(ConfigTest, FlagsOverEnvironmentOverFile) {
  std::string p = tempPath("config");
  std::ofstream(p) << "# comment\nurl = http://file:1/\napi_key = from-file\ntimeout_seconds = 9\n";
  ::unsetenv("BATCHRUN_URL");
  ::unsetenv("BATCHRUN_API_KEY");
  CliConfig c;
  ASSERT_FALSE(resolveConfig({"", "", p, 0}, c));
  EXPECT_EQ(c.url, "http://file:1");
  EXPECT_EQ(c.api_key, "from-file");
  EXPECT_EQ(c.timeout_seconds, 9);
  ::setenv("BATCHRUN_API_KEY", "from-env", 1);
  CliConfig e;
  ASSERT_FALSE(resolveConfig({"http://flag:2", "", p, 0}, e));
  EXPECT_EQ(e.url, "http://flag:2");
  EXPECT_EQ(e.api_key, "from-env");
  ::unsetenv("BATCHRUN_API_KEY");

  std::ofstream(p) << "colour = blue\n";
  CliConfig bad;
  auto err = resolveConfig({"", "", p, 0}, bad);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("unknown key `colour`"), std::string::npos) << *err;
  CliConfig none;
  err = resolveConfig({"", "", tempPath("missing"), 0}, none);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("cannot read"), std::string::npos);
}

TEST(ConfigTest, LocalProfileInTheWorkingDirectoryComesBeforeTheUsersFileAndOnlyIfOnlyWeMayWriteIt) {
  namespace fs = std::filesystem;
  const std::string checkout = tempPath("checkout"), xdg = tempPath("xdg"), elsewhere = tempPath("elsewhere");
  fs::create_directories(checkout + "/.state/run");
  fs::create_directories(checkout + "/sub/dir");
  fs::create_directories(xdg + "/batchrun");
  fs::create_directories(elsewhere);
  // TempDir() ends with a slash; findLocalProfile answers a normal path.
  const std::string profile = fs::path(checkout + "/" + kLocalProfile).lexically_normal().string();
  const std::string user_file = xdg + "/batchrun/config";
  std::ofstream(profile) << "# written by scripts/run\nurl = http://127.0.0.1:18080\napi_key = dev-key\n";
  fs::permissions(profile, fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream(user_file) << "url = https://user.example\napi_key = user-key\n";
  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "";
  ::setenv("XDG_CONFIG_HOME", xdg.c_str(), 1);
  ::unsetenv("BATCHRUN_URL");
  ::unsetenv("BATCHRUN_API_KEY");

  // Found in the checkout's root (where scripts/run ran); used whole, before the user's file.
  EXPECT_EQ(findLocalProfile(checkout), profile);
  EXPECT_EQ(findLocalProfile(checkout + "/"), profile);
  CliConfig local;
  ASSERT_FALSE(resolveConfig({}, local, checkout));
  EXPECT_EQ(local.url, "http://127.0.0.1:18080");
  EXPECT_EQ(local.api_key, "dev-key");

  // Below the checkout's root (the tests run the CLI from the build directory) and outside it: the
  // user's file.
  for (const std::string& dir : {checkout + "/sub/dir", elsewhere}) {
    EXPECT_EQ(findLocalProfile(dir), "") << dir;
    CliConfig user;
    ASSERT_FALSE(resolveConfig({}, user, dir)) << dir;
    EXPECT_EQ(user.url, "https://user.example") << dir;
    EXPECT_EQ(user.api_key, "user-key") << dir;
  }

  // The environment and flags still come first; --config replaces the profile.
  ::setenv("BATCHRUN_API_KEY", "from-env", 1);
  CliConfig env_key;
  ASSERT_FALSE(resolveConfig({"", "", "", 0}, env_key, checkout));
  EXPECT_EQ(env_key.url, "http://127.0.0.1:18080");
  EXPECT_EQ(env_key.api_key, "from-env");
  ::unsetenv("BATCHRUN_API_KEY");
  CliConfig named;
  ASSERT_FALSE(resolveConfig({"", "", user_file, 0}, named, checkout));
  EXPECT_EQ(named.url, "https://user.example");

  // A profile others may write is not ours to trust: passed over for the user's file.
  fs::permissions(profile, fs::perms::group_write, fs::perm_options::add);
  EXPECT_EQ(findLocalProfile(checkout), "");
  CliConfig shared;
  ASSERT_FALSE(resolveConfig({}, shared, checkout));
  EXPECT_EQ(shared.url, "https://user.example");

  if (old_xdg) {
    ::setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  } else {
    ::unsetenv("XDG_CONFIG_HOME");
  }
  fs::remove_all(checkout);
  fs::remove_all(xdg);
  fs::remove_all(elsewhere);
}

TEST(ApiErrorTest, NamesInputLinesAndHonoursRetryAfter) {
  ApiResponse r{400, R"({"error":{"code":"invalid_request","message":"2 problems","details":[{"index":1,"field":"runs[1].input","message":"is required"}]}})", ""};
  std::string text = describeError(r, [](int i) { return "line " + std::to_string(i + 10); });
  EXPECT_NE(text.find("HTTP 400 invalid_request: 2 problems"), std::string::npos) << text;
  EXPECT_NE(text.find("line 11: runs[1].input is required"), std::string::npos) << text;
  EXPECT_EQ(describeError({0, "", "Couldn't connect"}), "no answer from the API: Couldn't connect");
  EXPECT_EQ(retryAfterSeconds("7", 1), 7);
  EXPECT_EQ(retryAfterSeconds("", 1.5), 1.5);
  EXPECT_EQ(retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT", 2), 2);
}

}  // namespace
