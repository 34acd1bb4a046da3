// Records on the topics that are nested too deep (written by an older version, or by hand) decode
// to an error: no decoder recurses with the input, so a poison record cannot crash a consumer.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json.hpp"
#include "batchrun/common/records/control.hpp"
#include "batchrun/common/records/handover_marker.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/common/records/webhook_records.hpp"
#include "batchrun/common/records/workflow.hpp"

using namespace batchrun;

namespace {

std::string deep(int levels) { return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']'); }

Run runWithInput(std::string input) {
  Run r;
  r.run_id = "0190a0b0-0000-7000-8000-000000000001";
  r.project = "default";
  r.workflow_id = "demo";
  r.input = std::move(input);
  return r;
}

}  // namespace

TEST(RecordLimits, ARunRecordWithAHundredThousandDeepInputDecodesToAnError) {
  // Before the bounded parse this overflowed the stack of every dispatcher and ingest reading it.
  auto decoded = decodeRun(encodeRun(runWithInput(deep(100000))));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("nested deeper than"), std::string::npos) << decoded.error().message;
}

TEST(RecordLimits, AnyValueIngestAcceptedDecodesFromItsRecord) {
  // The deepest input a request can carry (the body's own object is one level) fits the record,
  // output too: records are read with a margin above the request limit.
  batchrun::Run r = runWithInput(deep(json::maxDepth() - 1));
  r.output = deep(json::maxDepth());
  auto decoded = decodeRun(encodeRun(r));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->input, r.input);
  EXPECT_EQ(decoded->output, r.output);
}

TEST(RecordLimits, InvalidUtf8InARecordDecodesToAnError) {
  auto decoded = decodeRun(encodeRun(runWithInput("\"\xFF\"")));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("not valid UTF-8"), std::string::npos) << decoded.error().message;
}

TEST(RecordLimits, TwoHundredThousandBracketsFailEveryDecoder) {
  const std::string poison(200000, '[');
  EXPECT_FALSE(decodeRun(poison));
  EXPECT_FALSE(decodeControl(poison));
  EXPECT_FALSE(decodeWorkflow(poison));
  EXPECT_FALSE(decodeEndpoint(poison));
  EXPECT_FALSE(decodeWebhookRecord(poison));
  EXPECT_EQ(handoverUpto(poison), -1);
  const std::string nested = R"({"run_id":"x","project":"p","output":)" + deep(100000) + "}";
  EXPECT_FALSE(decodeControl(nested));
}
