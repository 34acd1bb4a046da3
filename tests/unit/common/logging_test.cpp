// Log lines are JSON objects, one a line, whatever bytes a field carries: a field may hold what a
// client or a record sent (a refused header, a poison record's reason).
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json_parse.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {
namespace {

TEST(Logging, EveryLineIsJsonEvenWhenAFieldIsNotUtf8) {
  log::init("logging-test", "info");
  const std::string bad_value = "a\xff\xfe" "b\"\n";
  const std::string bad_key = "k\xc3";
  ::testing::internal::CaptureStderr();
  log::warn("bad bytes", {{"reason", bad_value}, {bad_key, "v"}});
  const std::string out = ::testing::internal::GetCapturedStderr();
  const auto nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos) << out;
  EXPECT_EQ(nl + 1, out.size()) << "one line: " << out;
  rapidjson::Document d;
  ASSERT_TRUE(json::parse(d, out.substr(0, nl)).ok()) << out;
  EXPECT_STREQ(d["msg"].GetString(), "bad bytes");
  EXPECT_STREQ(d["reason"].GetString(), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\"\n");  // U+FFFD for each bad byte
  EXPECT_STREQ(d["k\xEF\xBF\xBD"].GetString(), "v");
}

}  // namespace
}  // namespace batchrun
