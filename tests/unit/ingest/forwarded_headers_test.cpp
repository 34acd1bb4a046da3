// Headers forwarded to workers and failure callbacks (Upstash-Forward-*, plain item headers,
// Upstash-Failure-Callback-Forward-*) and values that become headers (concurrency_key): refused
// at ingest with the item and header named when they could split or reframe the request.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/write/run_request.hpp"

namespace batchrun::ingest {
namespace {

const RunRequestLimits kLimits{};

// The smuggling payload of issue #24 as JSON string text.
constexpr const char* kSmuggled =
    R"(1\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal\r\n\r\n)";

bool has(const std::vector<FieldError>& errors, int index, const std::string& field, const std::string& words = "") {
  for (const auto& e : errors) {
    if (e.index == index && e.field == field && e.message.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string fields(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::to_string(e.index) + " " + e.field + ": " + e.message + "\n";
  return out;
}

std::string item(const std::string& headers) {
  return R"({"destination": "https://w.example/api", "headers": {)" + headers + "}}";
}

TEST(UpstashForwardedHeaders, TheSmugglingPayloadIsRefusedNamingItemAndHeader) {
  auto b = parseUpstashBatch("[" + item(R"("X-Ok": "1")") + "," + item(R"("X-Ok": "1")") + "," +
                                 item(std::string(R"("X-S": ")") + kSmuggled + R"(")") + "]",
                             kLimits);
  EXPECT_TRUE(b.items.empty());  // nothing of the batch is accepted
  ASSERT_EQ(b.errors.size(), 1u) << fields(b.errors);
  EXPECT_TRUE(has(b.errors, 2, "[2].headers.X-S", "CR, LF")) << fields(b.errors);
}

TEST(UpstashForwardedHeaders, ControlCharactersInAnyForwardedValueAreRefused) {
  for (const char* header : {R"("Upstash-Forward-X-A": "a\nb")", R"("Upstash-Forward-X-A": "a\u0000b")",
                             R"("Upstash-Forward-X-A": "a\rb")", R"("Upstash-Failure-Callback-Forward-X-A": "a\r\nb")",
                             R"("X-A": "a\u0001b")"}) {
    auto b = parseUpstashBatch("[" + item(header) + "]", kLimits);
    EXPECT_EQ(b.errors.size(), 1u) << header << "\n" << fields(b.errors);
    EXPECT_TRUE(b.items.empty()) << header;
  }
}

TEST(UpstashForwardedHeaders, ReservedNamesAreRefusedWhateverTheirCase) {
  for (const std::string name :
       {"Upstash-Forward-Content-Length", "Upstash-Forward-Host", "upstash-forward-HOST", "Upstash-Forward-Connection",
        "Upstash-Forward-Transfer-Encoding", "Upstash-Forward-Batchrun-Run-Id", "Upstash-Forward-BATCHRUN-SIGNATURE",
        "Upstash-Forward-Content-Type", "Upstash-Forward-traceparent", "Batchrun-Run-Id", "BATCHRUN-SIGNATURE",
        "batchrun-timestamp", "Keep-Alive", "Upgrade", "TE", "Trailer", "Expect", "Proxy-Authorization", "Traceparent",
        "Upstash-Failure-Callback-Forward-Batchrun-Signature", "Upstash-Failure-Callback-Forward-Host"}) {
    auto b = parseUpstashBatch("[" + item("\"" + name + R"(": "x")") + "]", kLimits);
    EXPECT_TRUE(has(b.errors, 0, "[0].headers." + name, "cannot be forwarded")) << name << "\n" << fields(b.errors);
  }
}

TEST(UpstashForwardedHeaders, NamesMustBeTokens) {
  for (const char* header : {R"("Upstash-Forward-X S": "v")", R"("Upstash-Forward-X:Y": "v")", R"x("X(Y)": "v")x",
                             R"("Upstash-Forward-X\r\nHost": "v")"}) {
    auto b = parseUpstashBatch("[" + item(header) + "]", kLimits);
    EXPECT_EQ(b.errors.size(), 1u) << header << "\n" << fields(b.errors);
    if (!b.errors.empty()) {
      EXPECT_NE(b.errors[0].message.find("header name"), std::string::npos) << header;
    }
  }
}

TEST(UpstashForwardedHeaders, OrdinaryHeadersStillPass) {
  // An SDK's Content-Type and Authorization describe the publish request: dropped, as before.
  auto b = parseUpstashBatch("[" + item(R"("Upstash-Forward-Authorization": "Bearer w", "X-Tenant": "acme",
      "Content-Type": "application/json", "Authorization": "Bearer qstash", "Upstash-Forward-X-Utf8": "café",
      "Upstash-Failure-Callback-Forward-Authorization": "Bearer cb", "Upstash-Forward-X-Tab": "a\tb")") + "]",
                             kLimits);
  ASSERT_TRUE(b.errors.empty()) << fields(b.errors);
  EXPECT_EQ(b.items[0].headers, R"({"Authorization":"Bearer w","X-Tenant":"acme","X-Utf8":"café","X-Tab":"a\tb"})");
  EXPECT_EQ(b.items[0].failure_callback_headers, R"({"Authorization":"Bearer cb"})");
}

TEST(ConcurrencyKeyHeader, ControlCharactersAreRefusedOnEveryEndpoint) {
  // It reaches the worker as batchrun-concurrency-key.
  auto native = parseBatchRequest(R"({"workflow_id": "wf", "runs": [{"input": 1},
      {"input": 2, "concurrency_key": "t\r\nContent-Length: 0"}]})",
                                  kLimits);
  EXPECT_TRUE(has(native.errors, 1, "runs[1].concurrency_key", "control")) << fields(native.errors);
  auto single = parseSingleRunRequest(R"({"input": 1, "concurrency_key": "t\nx"})", "wf", kLimits);
  EXPECT_TRUE(has(single.errors, -1, "concurrency_key", "control")) << fields(single.errors);
  auto upstash = parseUpstashBatch("[" + item(R"("Upstash-Flow-Control-Key": "k\r\nX: 1")") + "]", kLimits);
  EXPECT_TRUE(has(upstash.errors, 0, "[0].headers.Upstash-Flow-Control-Key", "CR, LF")) << fields(upstash.errors);
  auto polos = parsePolosBatch(R"({"workflows": [{"workflow_id": "wf", "payload": 1, "concurrency_key": "k\u0000"}]})",
                               kLimits);
  EXPECT_FALSE(polos.errors.empty());
}

}  // namespace
}  // namespace batchrun::ingest
