// Hostile JSON at ingest's request parsers (issue #24, items 1, 2 and 6): values nested past the
// limit, 200,000 `[`, and invalid UTF-8 are refused with the item index and field, never crash.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json.hpp"
#include "batchrun/common/records/control.hpp"
#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"
#include "batchrun/ingest/admin/workflow_routes.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/read/control_routes.hpp"
#include "batchrun/ingest/write/run_request.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

const RunRequestLimits kLimits{.max_items = 10, .max_item_bytes = 1 << 20};

std::string deep(int levels) { return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']'); }

// A batch whose item 3 has `input` as given; the others are fine.
std::string batchWithItem3(const std::string& input) {
  std::string body = R"({"workflow_id":"w","runs":[)";
  for (int i = 0; i < 5; ++i) {
    if (i) body += ',';
    body += R"({"input":)" + (i == 3 ? input : std::string("1")) + "}";
  }
  return body + "]}";
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::to_string(e.index) + "|" + e.field + "|" + e.message + "\n";
  return out;
}

bool has(const std::vector<FieldError>& errors, int index, const std::string& field, const std::string& part) {
  for (const auto& e : errors) {
    if (e.index == index && e.field == field && e.message.find(part) != std::string::npos) return true;
  }
  return false;
}

const std::string kTooDeep = "nested deeper than 128 levels";
const std::string kNotUtf8 = "is not valid UTF-8";

}  // namespace

TEST(JsonLimits, BatchItemAtTheLimitIsAcceptedAndOneDeeperIsRefusedByIndexAndField) {
  // The body's object, `runs` and the item take 3 levels: input may add 125.
  const std::string body = batchWithItem3(deep(125));  // items' input text points into it
  auto ok = parseBatchRequest(body, kLimits);
  EXPECT_TRUE(ok.errors.empty()) << describe(ok.errors);
  ASSERT_EQ(ok.items.size(), 5u);
  EXPECT_EQ(ok.items[3].inputText(), deep(125));

  auto refused = parseBatchRequest(batchWithItem3(deep(126)), kLimits);
  EXPECT_TRUE(refused.items.empty());
  ASSERT_EQ(refused.errors.size(), 1u) << describe(refused.errors);
  EXPECT_TRUE(has(refused.errors, 3, "runs[3].input", kTooDeep)) << describe(refused.errors);
}

TEST(JsonLimits, AHundredThousandDeepInputIsRefusedOnEveryRunEndpoint) {
  const std::string input = deep(100000);
  auto batch = parseBatchRequest(batchWithItem3(input), kLimits);
  EXPECT_TRUE(has(batch.errors, 3, "runs[3].input", kTooDeep)) << describe(batch.errors);

  auto single = parseSingleRunRequest(R"({"metadata":{"a":1},"input":)" + input + "}", "w", kLimits);
  EXPECT_TRUE(has(single.errors, -1, "input", kTooDeep)) << describe(single.errors);

  auto polos = parsePolosBatch(R"({"workflows":[{"workflow_id":"w","payload":1},{"workflow_id":"w","payload":)" +
                                   input + "}]}",
                               kLimits);
  EXPECT_TRUE(has(polos.errors, 1, "workflows[1].payload", kTooDeep)) << describe(polos.errors);

  auto extend = parseExtendBatch(R"({"workflow":{"id":"w"},"inputs":[{"a":1},)" + input + "]}", false, kLimits);
  EXPECT_TRUE(has(extend.errors, 1, "inputs[1]", kTooDeep)) << describe(extend.errors);
}

TEST(JsonLimits, TwoHundredThousandOpenBracketsAreRefusedWithoutCrashing) {
  // The recursive parser overflowed the stack on this body at every endpoint below.
  const std::string body(200000, '[');
  auto batch = parseBatchRequest(body, kLimits);
  EXPECT_TRUE(has(batch.errors, -1, "", kTooDeep)) << describe(batch.errors);
  EXPECT_TRUE(has(parseSingleRunRequest(body, "w", kLimits).errors, -1, "", kTooDeep));
  EXPECT_TRUE(has(parsePolosBatch(body, kLimits).errors, -1, "", kTooDeep));
  EXPECT_TRUE(has(parseExtendBatch(body, false, kLimits).errors, -1, "", kTooDeep));

  Workflow workflow;
  EXPECT_TRUE(has(parseWorkflowBody(body, workflow), -1, "", kTooDeep));
  CreateEndpointRequest endpoint;
  std::vector<FieldError> endpoint_errors;
  EXPECT_FALSE(parseCreateEndpoint(body, endpoint, endpoint_errors));
  EXPECT_TRUE(has(endpoint_errors, -1, "", kTooDeep)) << describe(endpoint_errors);
  ControlMessage result;
  EXPECT_TRUE(has(parseResultBody(body, result), -1, "", kTooDeep));
  // Nested under a field: the field is named.
  EXPECT_TRUE(has(parseResultBody(R"({"status":"completed","output":)" + body, result), -1, "output", kTooDeep));
}

TEST(JsonLimits, InvalidUtf8IsRefusedNamingTheItemAndField) {
  const char* bad[] = {"\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"ab\xE2\x82\"", "\"\xFF\"", "\"\\udc00\""};
  for (const char* input : bad) {
    auto batch = parseBatchRequest(batchWithItem3(input), kLimits);
    EXPECT_TRUE(batch.items.empty()) << input;
    EXPECT_TRUE(has(batch.errors, 3, "runs[3].input", kNotUtf8)) << input << "\n" << describe(batch.errors);
    // Deeper inside the input: still the item's field.
    auto nested = parseBatchRequest(batchWithItem3(std::string(R"({"a":[1,)") + input + "]}"), kLimits);
    EXPECT_TRUE(has(nested.errors, 3, "runs[3].input", kNotUtf8)) << input << "\n" << describe(nested.errors);
  }
  auto key = parseBatchRequest(R"({"runs":[{"input":1},{"input":1,"metadata":{"k)" "\xFF" R"(":1}}]})", kLimits);
  EXPECT_TRUE(has(key.errors, 1, "runs[1].metadata", kNotUtf8)) << describe(key.errors);
  auto top = parseBatchRequest("{\"workflow_id\":\"w\xC0\xAF\",\"runs\":[{\"input\":1}]}", kLimits);
  EXPECT_TRUE(has(top.errors, -1, "workflow_id", kNotUtf8)) << describe(top.errors);

  auto polos = parsePolosBatch("{\"workflows\":[{\"workflow_id\":\"w\",\"payload\":\"\xFF\"}]}", kLimits);
  EXPECT_TRUE(has(polos.errors, 0, "workflows[0].payload", kNotUtf8)) << describe(polos.errors);
  auto extend = parseExtendBatch("{\"workflow\":{\"id\":\"w\"},\"inputs\":[{\"a\":\"\xED\xA0\x80\"}]}", false, kLimits);
  EXPECT_TRUE(has(extend.errors, 0, "inputs[0].a", kNotUtf8)) << describe(extend.errors);
  CreateEndpointRequest endpoint;
  std::vector<FieldError> endpoint_errors;
  EXPECT_FALSE(parseCreateEndpoint("{\"url\":\"https://x.example/\",\"description\":\"\xFF\"}", endpoint, endpoint_errors));
  EXPECT_TRUE(has(endpoint_errors, -1, "description", kNotUtf8)) << describe(endpoint_errors);
  ControlMessage result;
  EXPECT_TRUE(has(parseResultBody("{\"status\":\"completed\",\"output\":\"\xC0\xAF\"}", result), -1, "output", kNotUtf8));
}

TEST(JsonLimits, ValidUtf8StillPassesThroughAsSent) {
  const std::string input = "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \\ud83d\\ude00\"";
  const std::string body = batchWithItem3(input);
  auto batch = parseBatchRequest(body, kLimits);
  ASSERT_TRUE(batch.errors.empty()) << describe(batch.errors);
  EXPECT_EQ(batch.items[3].inputText(), input);
}

TEST(JsonLimits, TheLimitFollowsTheProcessSetting) {
  const int before = json::maxDepth();
  json::setMaxDepth(16);
  auto refused = parseBatchRequest(batchWithItem3(deep(14)), kLimits);
  EXPECT_TRUE(has(refused.errors, 3, "runs[3].input", "nested deeper than 16 levels")) << describe(refused.errors);
  EXPECT_TRUE(parseBatchRequest(batchWithItem3(deep(13)), kLimits).errors.empty());
  json::setMaxDepth(before);
}

// Found by tests/fuzz (fuzz_run_request): a raw byte 0x1A..0x1F in a string passed the batch
// parser's in-place SIMD scan, so the item's input went into its run record as sent — a record
// no reader could decode. Refused now, wherever in the buffer's alignment the byte falls.
TEST(JsonLimits, RawControlBytesInAnInputAreRefusedLikeEverywhereElse) {
  for (int c = 0x1A; c <= 0x1F; ++c) {
    for (size_t at = 0; at < 40; ++at) {
      std::string input = "\"" + std::string(48, 'a') + "\"";
      input[1 + at] = static_cast<char>(c);
      auto batch = parseBatchRequest(batchWithItem3(input), kLimits);
      EXPECT_TRUE(batch.items.empty()) << "byte " << c << " at " << at;
      ASSERT_FALSE(batch.errors.empty());
      EXPECT_NE(batch.errors[0].message.find("malformed JSON"), std::string::npos) << describe(batch.errors);
    }
  }
}

// Found by tests/fuzz (fuzz_result_body, fuzz_webhook_endpoint_request): values were read up to
// their first NUL, so "completed\u0000x" passed as "completed", "native\u0000x" as "native", and an
// error code or message was cut short.
TEST(JsonLimits, AnEscapedNulIsPartOfAValueNotItsEnd) {
  ControlMessage m;
  auto errors = parseResultBody(R"({"status": "completed\u0000x"})", m);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "status");

  ControlMessage failed;
  errors = parseResultBody(R"({"status": "failed", "error": {"code": "a\u0000b", "message": "m\u0000n"}})", failed);
  ASSERT_TRUE(errors.empty()) << describe(errors);
  EXPECT_EQ(failed.error_code, std::string("a\0b", 3));
  EXPECT_EQ(failed.error_message, std::string("m\0n", 3));

  CreateEndpointRequest req;
  std::vector<FieldError> problems;
  EXPECT_FALSE(parseCreateEndpoint(R"({"url": "https://h.example/", "dialect": "native\u0000x"})", req, problems));
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].field, "dialect");
}
