// Issue #24 item 3 against the running system: an Upstash header that would smuggle a second
// request onto the dispatcher's keep-alive connection to the worker, or replace a framing or
// batchrun header, is answered 400 naming the item and header, and nothing of the batch is
// produced.
#include <gtest/gtest.h>

#include <set>

#include "batchrun/common/ids.hpp"
#include "compat_system.hpp"

namespace batchrun::testing {
namespace {

std::map<std::string, std::string> auth() { return {{"Authorization", bearer()}}; }

std::set<std::string> fieldsOf(const HttpResponse& r) {
  std::set<std::string> out;
  auto d = parseJson(r.body);
  if (d.IsObject() && d.HasMember("details") && d["details"].IsArray()) {
    for (auto& e : d["details"].GetArray()) out.insert(e["field"].GetString());
  }
  return out;
}

TEST(CompatUpstashHeaders, SmugglingAndReservedHeadersAre400AndNothingIsProduced) {
  auto& sys = CompatSystem::get();
  const std::string dest = sys.worker().url("/api/workflow");
  const std::string key = "smuggle-" + uuidv7().substr(0, 8);
  const std::string smuggled =
      R"(1\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal\r\n\r\n)";
  const std::string body = R"([
    {"destination": ")" + dest + R"(", "headers": {"Upstash-Workflow-RunId": ")" + key + R"(-ok"}},
    {"destination": ")" + dest + R"(", "headers": {"Upstash-Workflow-RunId": ")" + key + R"(",
                                                    "X-S": ")" + smuggled + R"("}},
    {"destination": ")" + dest + R"(", "headers": {"Upstash-Forward-Content-Length": "0",
                                                    "Upstash-Forward-Host": "internal", "Batchrun-Run-Id": "x",
                                                    "BATCHRUN-SIGNATURE": "forged"}}
  ])";
  auto r = sys.call("POST", "/v2/batch/trigger", body, auth());
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(parseJson(r.body)["error"].IsString()) << r.body;
  const auto fields = fieldsOf(r);
  for (const char* f : {"[1].headers.X-S", "[2].headers.Upstash-Forward-Content-Length",
                        "[2].headers.Upstash-Forward-Host", "[2].headers.Batchrun-Run-Id",
                        "[2].headers.BATCHRUN-SIGNATURE"}) {
    EXPECT_TRUE(fields.count(f)) << f << " in " << r.body;
  }
  EXPECT_EQ(fields.size(), 5u) << r.body;

  // Nothing was produced: the same run ids are new to ingest now (a produced run would answer
  // deduplicated: true), and each runs exactly once.
  r = sys.call("POST", "/v2/batch/trigger",
               R"([{"destination": ")" + dest + R"(", "headers": {"Upstash-Workflow-RunId": ")" + key + R"(-ok"}},
                  {"destination": ")" + dest + R"(", "headers": {"Upstash-Workflow-RunId": ")" + key + R"(",
                                                                  "X-S": "1"}}])",
               auth());
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.IsArray() && d.Size() == 2) << r.body;
  for (auto& item : d.GetArray()) {
    EXPECT_FALSE(item["deduplicated"].GetBool()) << r.body;
    const std::string id = upstashRunId(item["workflowRunId"].GetString());
    auto run = sys.waitTerminal(id);
    ASSERT_TRUE(run.IsObject()) << "run " << id << " did not finish";
    EXPECT_STREQ(run["status"].GetString(), "completed");
    EXPECT_EQ(sys.worker().requestsByRun()[id], 1) << id;
  }
}

}  // namespace
}  // namespace batchrun::testing
