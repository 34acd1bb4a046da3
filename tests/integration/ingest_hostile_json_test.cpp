// Hostile JSON against a real ingest (issue #24 items 1, 2, 6): a run input nested 100,000 deep,
// a body of 200,000 `[` and invalid UTF-8, at every submit endpoint (native, Polos, Extend,
// Upstash) and the admin ones. Each is a 400 naming the item and field, nothing reaches Kafka, and
// ingest still answers afterwards. Before the bounded parse, the first such body crashed ingest.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "batchrun/common/json.hpp"
#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;

namespace {

std::string deep(int levels) {
  return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']');
}

std::map<std::string, std::string> polosHeaders() {
  auto h = IngestHarness::jsonHeaders();
  h["X-Project-ID"] = kIngestProject;
  return h;
}

std::map<std::string, std::string> extendHeaders() {
  auto h = IngestHarness::jsonHeaders();
  h["x-extend-api-version"] = "2026-02-09";
  return h;
}

struct Probe {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string field;     // the field the 400 must name
  int index = -1;        // and the item, when the problem is in one
  std::string message;   // part of the message
};

// The answer is a 400 whose JSON details name the field (and item) with the message.
void expectRefused(HttpConnection& c, const Probe& p) {
  SCOPED_TRACE(p.method + " " + p.path + " → " + p.field);
  auto r = c.request(p.method, p.path, p.body, p.headers);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 600);
  rapidjson::Document d;
  ASSERT_TRUE(json::parse(d, r.body)) << "the answer is strict JSON: " << r.body.substr(0, 600);
  EXPECT_TRUE(json::validUtf8(r.body));
  std::string want = "\"field\":";
  json::appendString(want, p.field);
  EXPECT_NE(r.body.find(want), std::string::npos) << r.body.substr(0, 600);
  if (p.index >= 0) {
    EXPECT_NE(r.body.find("\"index\":" + std::to_string(p.index)), std::string::npos) << r.body.substr(0, 600);
  }
  EXPECT_NE(r.body.find(p.message), std::string::npos) << r.body.substr(0, 600);
}

const std::string kTooDeep = "nested deeper than 128 levels";
const std::string kNotUtf8 = "not valid UTF-8";

}  // namespace

TEST(IngestHostileJson, DeepBracketsAndInvalidUtf8AreRefusedEverywhereAndIngestStaysUp) {
  IngestHarness h;
  h.startIngest();
  const auto lanes_before = h.readLanes().size();
  const auto json_headers = IngestHarness::jsonHeaders();
  const std::string input = deep(100000);  // ≈ 200 KB, under the item limit
  const std::string brackets(200000, '[');
  auto native_batch = [](const std::string& item3_input) {
    std::string body = R"({"workflow_id":"wf","runs":[)";
    for (int i = 0; i < 5; ++i) body += std::string(i ? "," : "") + R"({"input":)" + (i == 3 ? item3_input : "1") + "}";
    return body + "]}";
  };

  const std::vector<Probe> probes = {
      // A run input nested 100,000 deep, on each submit endpoint.
      {"POST", "/v1/batches", native_batch(input), json_headers, "runs[3].input", 3, kTooDeep},
      {"POST", "/v1/workflows/wf/runs", R"({"input":)" + input + "}", json_headers, "input", -1, kTooDeep},
      {"POST", "/api/v1/workflows/batch_run",
       R"({"workflows":[{"workflow_id":"wf","payload":1},{"workflow_id":"wf","payload":)" + input + "}]}",
       polosHeaders(), "workflows[1].payload", 1, kTooDeep},
      {"POST", "/api/v1/workflows/wf/run", R"({"payload":)" + input + "}", polosHeaders(), "payload", -1, kTooDeep},
      {"POST", "/workflow_runs/batch",
       R"({"workflow":{"id":"wf"},"inputs":[{"rawText":"a"},{"rawText":"b","metadata":)" + input + "}]}",
       extendHeaders(), "inputs[1].metadata", 1, kTooDeep},
      {"POST", "/v2/batch/trigger",
       R"([{"destination":"https://example.com/a"},{"destination":"https://example.com/b","headers":)" + input + "}]",
       json_headers, "[1].headers", 1, "nested deeper than 128 levels"},
      // 200,000 `[`: the whole body, on every endpoint that takes one.
      {"POST", "/v1/batches", brackets, json_headers, "", -1, kTooDeep},
      {"POST", "/v1/workflows/wf/runs", brackets, json_headers, "", -1, kTooDeep},
      {"POST", "/api/v1/workflows/batch_run", brackets, polosHeaders(), "", -1, kTooDeep},
      {"POST", "/workflow_runs/batch", brackets, extendHeaders(), "", -1, kTooDeep},
      {"PUT", "/v1/workflows/wf2", brackets, json_headers, "", -1, kTooDeep},
      {"POST", "/v1/webhook-endpoints", brackets, json_headers, "", -1, kTooDeep},
      {"POST", "/v1/runs/0190a0b0-0000-7000-8000-000000000001/result", brackets, json_headers, "", -1, kTooDeep},
      {"POST", "/v1/runs/0190a0b0-0000-7000-8000-000000000001/result",
       R"({"status":"completed","output":)" + input + "}", json_headers, "output", -1, kTooDeep},
      // Invalid UTF-8 (overlong, surrogate, truncated, 0xFF, escaped lone surrogate) in an item.
      {"POST", "/v1/batches", native_batch("\"\xC0\xAF\""), json_headers, "runs[3].input", 3, kNotUtf8},
      {"POST", "/v1/batches", native_batch("{\"a\":\"\xED\xA0\x80\"}"), json_headers, "runs[3].input", 3, kNotUtf8},
      {"POST", "/v1/batches", native_batch("\"\\udc00\""), json_headers, "runs[3].input", 3, kNotUtf8},
      {"POST", "/v1/workflows/wf/runs", "{\"input\":\"ab\xE2\x82\"}", json_headers, "input", -1, kNotUtf8},
      {"POST", "/api/v1/workflows/batch_run", "{\"workflows\":[{\"workflow_id\":\"wf\",\"payload\":\"\xFF\"}]}",
       polosHeaders(), "workflows[0].payload", 0, kNotUtf8},
      {"POST", "/workflow_runs/batch", "{\"workflow\":{\"id\":\"wf\"},\"inputs\":[{\"rawText\":\"\xFF\"}]}",
       extendHeaders(), "inputs[0].rawText", 0, kNotUtf8},
      {"POST", "/v1/webhook-endpoints", "{\"url\":\"https://example.com/h\",\"description\":\"\xFF\"}", json_headers,
       "description", -1, kNotUtf8},
  };
  HttpConnection c(h.port());
  for (const auto& p : probes) expectRefused(c, p);
  // Upstash's whole body of 200,000 `[` (its errors name items as "[i]…"; the top level is "body").
  auto upstash = c.request("POST", "/v2/batch/trigger", brackets, json_headers);
  EXPECT_EQ(upstash.status, 400) << upstash.body.substr(0, 600);
  auto upstash_utf8 = c.request("POST", "/v2/batch/trigger", "[{\"destination\":\"https://example.com/\xFF\"}]", json_headers);
  EXPECT_EQ(upstash_utf8.status, 400) << upstash_utf8.body.substr(0, 600);

  // Nothing of any of them reached Kafka, and the same ingest still takes a valid batch.
  EXPECT_EQ(h.readLanes().size(), lanes_before);
  auto ok = c.request("POST", "/v1/batches", native_batch(deep(125)), json_headers);
  EXPECT_EQ(ok.status, 202) << ok.body.substr(0, 600);
  EXPECT_EQ(h.readLanes().size(), lanes_before + 5);
}
