// The optional bodies of POST /v1/webhook-endpoints/{id}/enable and …/disable.
#include <gtest/gtest.h>

#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"

using namespace batchrun::ingest;

namespace {
std::string fields(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + ":" + e.message + ";";
  return out;
}
}  // namespace

TEST(EnableEndpointRequest, TakesNoBodyOrAnEmptyObject) {
  std::vector<FieldError> errors;
  EXPECT_TRUE(parseEnableEndpoint("", errors));
  EXPECT_TRUE(parseEnableEndpoint(" \r\n", errors));
  EXPECT_TRUE(parseEnableEndpoint("{}", errors));
  EXPECT_TRUE(errors.empty()) << fields(errors);
  EXPECT_FALSE(parseEnableEndpoint(R"({"reason":"x","force":true})", errors));
  EXPECT_EQ(fields(errors), "reason:is not a known field;force:is not a known field;");
  errors.clear();
  EXPECT_FALSE(parseEnableEndpoint("[]", errors));
  EXPECT_EQ(fields(errors), "body:must be a JSON object;");
}

TEST(DisableEndpointRequest, TakesAnOptionalReason) {
  std::vector<FieldError> errors;
  DisableEndpointRequest none;
  EXPECT_TRUE(parseDisableEndpoint("", none, errors));
  EXPECT_EQ(none.reason, "disabled through the API");
  DisableEndpointRequest given;
  EXPECT_TRUE(parseDisableEndpoint(R"({"reason":"receiver under maintenance"})", given, errors));
  EXPECT_EQ(given.reason, "receiver under maintenance");
  DisableEndpointRequest null_reason;
  EXPECT_TRUE(parseDisableEndpoint(R"({"reason":null})", null_reason, errors));
  EXPECT_EQ(null_reason.reason, "disabled through the API");
  EXPECT_TRUE(errors.empty()) << fields(errors);
}

TEST(DisableEndpointRequest, NamesEveryBadFieldAtOnce) {
  std::vector<FieldError> errors;
  DisableEndpointRequest out;
  EXPECT_FALSE(parseDisableEndpoint(R"({"reason":7,"until":"tomorrow"})", out, errors));
  EXPECT_EQ(fields(errors), "reason:must be a string of 1 to 256 characters;until:is not a known field;");
  errors.clear();
  EXPECT_FALSE(parseDisableEndpoint("{\"reason\":\"" + std::string(257, 'x') + "\"}", out, errors));
  EXPECT_FALSE(parseDisableEndpoint(R"({"reason":""})", out, errors));
  EXPECT_FALSE(parseDisableEndpoint("{not json", out, errors));
  EXPECT_EQ(errors.size(), 3u) << fields(errors);
  for (const auto& e : errors) EXPECT_EQ(e.index, -1);
}
