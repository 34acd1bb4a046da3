// Issue #24 item 10: what the request parsers take is what docs/openapi.yaml says. An integer field
// takes a JSON number without a fraction however it is written (5, 5.0, 5e0); an optional field
// sent as null is absent; "N characters" counts characters, not UTF-8 bytes. (Schemathesis found
// each of these: a schema-valid request answered 400.)
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <string>

#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"
#include "batchrun/ingest/admin/workflow_routes.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/read/control_routes.hpp"
#include "batchrun/ingest/write/run_request.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

const RunRequestLimits kLimits{.max_items = 5, .max_item_bytes = 100000};

std::optional<int64_t> integral(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return integralValue(d);
}

std::string problems(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + ": " + e.message + "; ";
  return out;
}

}  // namespace

TEST(IntegralValue, TakesNumbersWithoutAFractionHoweverWritten) {
  EXPECT_EQ(integral("5"), 5);
  EXPECT_EQ(integral("5.0"), 5);
  EXPECT_EQ(integral("5e0"), 5);
  EXPECT_EQ(integral("-3.00"), -3);
  EXPECT_EQ(integral("1E3"), 1000);
  EXPECT_EQ(integral("9007199254740993"), 9007199254740993);  // an int64, not rounded through a double
  EXPECT_EQ(integral("5.5"), std::nullopt);
  EXPECT_EQ(integral("1e300"), std::nullopt);    // past int64
  EXPECT_EQ(integral("18446744073709551615"), std::nullopt);  // a uint64 past int64
  EXPECT_EQ(integral("\"5\""), std::nullopt);
  EXPECT_EQ(integral("true"), std::nullopt);
  EXPECT_EQ(integral("null"), std::nullopt);
}

TEST(CharacterCount, CountsCharactersNotBytes) {
  EXPECT_EQ(characterCount(""), 0u);
  EXPECT_EQ(characterCount("abc"), 3u);
  EXPECT_EQ(characterCount("\xC3\xA9t\xC3\xA9"), 3u);       // "été"
  EXPECT_EQ(characterCount("\xF0\x9F\x98\x80"), 1u);        // one emoji, four bytes
}

TEST(RunRequestTypes, IntegersWrittenWithAZeroFractionAreIntegers) {
  auto p = parseBatchRequest(
      R"({"workflow_id":"wf","priority":7.0,"runs":[{"input":1,"priority":5.0,"timeout_seconds":6e1,"max_attempts":2.00}]})",
      kLimits);
  ASSERT_TRUE(p.errors.empty()) << problems(p.errors);
  EXPECT_EQ(p.items[0].priority, 5);
  EXPECT_EQ(p.items[0].timeout_seconds, 60);
  EXPECT_EQ(p.items[0].max_attempts, 2);
  auto fraction = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1,"priority":5.5}]})", kLimits);
  ASSERT_EQ(fraction.errors.size(), 1u);
  EXPECT_EQ(fraction.errors[0].field, "runs[0].priority");
}

TEST(RunRequestTypes, OptionalFieldsSentAsNullAreAbsent) {
  auto p = parseBatchRequest(
      R"({"workflow_id":"wf","priority":null,"metadata":null,"runs":[{"input":null,"workflow_id":null,)"
      R"("metadata":null,"priority":null,"idempotency_key":null,"queue":null,"concurrency_key":null,)"
      R"("timeout_seconds":null,"max_attempts":null,"destination":null}]})",
      kLimits);
  ASSERT_TRUE(p.errors.empty()) << problems(p.errors);
  const RunItem& item = p.items[0];
  EXPECT_EQ(item.workflow_id, "wf");
  EXPECT_EQ(item.priority, kBatchDefaultPriority);
  EXPECT_EQ(item.inputText(), "null");  // input's null is the input
  EXPECT_EQ(item.metadata, "{}");
  EXPECT_TRUE(item.idempotency_key.empty());
  EXPECT_TRUE(item.queue.empty());
  EXPECT_TRUE(item.destination.empty());

  auto single = parseSingleRunRequest(R"({"input":1,"priority":null,"queue":null})", "wf", kLimits);
  ASSERT_TRUE(single.errors.empty()) << problems(single.errors);
  EXPECT_EQ(single.items[0].priority, kSingleDefaultPriority);
}

TEST(RunRequestTypes, NullIsNoWayAroundARequiredFieldOrAnUnknownOne) {
  auto p = parseBatchRequest(R"({"workflow_id":null,"runs":[{"input":1},{"input":2,"colour":null}]})", kLimits);
  ASSERT_EQ(p.errors.size(), 3u) << problems(p.errors);
  EXPECT_EQ(p.errors[0].field, "runs[0].workflow_id");
  EXPECT_EQ(p.errors[1].field, "runs[1].colour");
  EXPECT_EQ(p.errors[2].field, "runs[1].workflow_id");
  auto runs = parseBatchRequest(R"({"workflow_id":"wf","runs":null})", kLimits);
  ASSERT_EQ(runs.errors.size(), 1u);
  EXPECT_EQ(runs.errors[0].field, "runs");
}

TEST(RunRequestTypes, NamesAreLimitedInCharactersNotBytes) {
  std::string e255, e256;
  for (int i = 0; i < 255; ++i) e255 += "\xC3\xA9";
  e256 = e255 + "\xC3\xA9";
  auto ok = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1,"queue":")" + e255 + R"("}]})", kLimits);
  EXPECT_TRUE(ok.errors.empty()) << problems(ok.errors);
  auto over = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1,"queue":")" + e256 + R"("}]})", kLimits);
  ASSERT_EQ(over.errors.size(), 1u);
  EXPECT_EQ(over.errors[0].field, "runs[0].queue");
}

TEST(WorkflowBodyTypes, IntegersWithAZeroFractionAndNullsForOptionalFields) {
  Workflow w;
  auto errors = parseWorkflowBody(
      R"({"endpoint":"http://w/run","concurrency_limit":954.0,"queues":{"q":2.0},"timeout_seconds":null,"max_attempts":null})",
      w);
  ASSERT_TRUE(errors.empty()) << problems(errors);
  EXPECT_EQ(w.concurrency_limit, 954);
  EXPECT_EQ(w.queues["q"], 2);
  EXPECT_EQ(w.timeout_seconds, 0);  // unset: the run's own or the default applies
  Workflow n;
  EXPECT_TRUE(parseWorkflowBody(R"({"endpoint":"http://w/run","concurrency_limit":null,"queues":null})", n).empty());
  EXPECT_FALSE(parseWorkflowBody(R"({"endpoint":null})", n).empty());
  EXPECT_FALSE(parseWorkflowBody(R"({"endpoint":"http://w/run","queues":{"q":null}})", n).empty());
}

TEST(WebhookEndpointTypes, IntegersWithAZeroFractionAndNullsForOptionalFields) {
  CreateEndpointRequest r;
  std::vector<FieldError> errors;
  EXPECT_TRUE(parseCreateEndpoint(
      R"({"url":"https://x.example/","rate_limit_per_second":5.0,"dialect":null,"description":null,"event_types":null})",
      r, errors))
      << problems(errors);
  EXPECT_EQ(r.rate_limit_per_second, 5);
  EXPECT_EQ(r.dialect, CreateEndpointRequest{}.dialect);
  std::string long_description;
  for (int i = 0; i < 1024; ++i) long_description += "\xC3\xA9";
  CreateEndpointRequest d;
  EXPECT_TRUE(parseCreateEndpoint(R"({"url":"https://x.example/","description":")" + long_description + "\"}", d,
                                  errors))
      << problems(errors);
  CreateEndpointRequest bad;
  EXPECT_FALSE(parseCreateEndpoint(R"({"url":null})", bad, errors));
}

TEST(RunResultTypes, AttemptWithAZeroFractionAndNullsForOptionalFields) {
  ControlMessage m;
  auto errors = parseResultBody(R"({"status":"completed","output":null,"attempt":2.0,"error":null})", m);
  ASSERT_TRUE(errors.empty()) << problems(errors);
  EXPECT_EQ(m.attempt, 2);
  EXPECT_EQ(m.output, "null");
  ControlMessage big;
  // An attempt past int32 is not one batchrun made: refused, with the same message as 0.
  EXPECT_FALSE(parseResultBody(R"({"status":"failed","attempt":10737797067})", big).empty());
  ControlMessage failed;
  errors = parseResultBody(R"({"status":"failed","error":{"code":"x","message":null}})", failed);
  ASSERT_TRUE(errors.empty()) << problems(errors);
  EXPECT_EQ(failed.error_code, "x");
}

// Schemathesis found a run whose metadata answer was not JSON: RapidJSON's SIMD writer wrote 0x1C
// raw from the middle of a long key. Every control character is escaped whatever its position.
TEST(JsonWriter, EscapesEveryControlCharacterInLongStrings) {
  for (int c = 0x01; c < 0x20; ++c) {
    // Position 30 of 64 bytes lies in a whole aligned 16-byte block however the string is placed.
    std::string key(64, 'k');
    key[30] = static_cast<char>(c);
    rapidjson::Document d;
    d.SetObject();
    d.AddMember(rapidjson::Value(key.c_str(), d.GetAllocator()), rapidjson::Value(key.c_str(), d.GetAllocator()),
                d.GetAllocator());
    const std::string text = json::stringify(d);
    for (char ch : text) ASSERT_GE(static_cast<unsigned char>(ch), 0x20) << "character " << c << ": " << text;
  }
  // Metadata merged from the top level and the item is written the same way.
  std::string long_key = "0123456789abcdef0123456789ab\\u001ccdef";
  auto p = parseBatchRequest(R"({"workflow_id":"wf","metadata":{")" + long_key + R"(":1},"runs":[{"input":1,)" +
                                 R"("metadata":{"x":{")" + long_key + R"(":2}}}]})",
                             kLimits);
  ASSERT_TRUE(p.errors.empty()) << problems(p.errors);
  for (char ch : p.items[0].metadata) ASSERT_GE(static_cast<unsigned char>(ch), 0x20) << p.items[0].metadata;
  rapidjson::Document back;
  back.Parse(p.items[0].metadata.c_str());
  EXPECT_FALSE(back.HasParseError()) << p.items[0].metadata;
}
