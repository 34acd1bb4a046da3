// The Upstash batch parser reads with the bounded JSON parse (common/json.hpp): nesting past the
// limit, in the request or in an item's JSON body text, is a 400 naming the item, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"

namespace batchrun::ingest {
namespace {

const RunRequestLimits kLimits{};

TEST(UpstashJsonLimits, ADeepBodyTextIsRefusedNamingTheItem) {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  auto b = parseUpstashBatch(R"([{"destination": "https://w.example/a", "body": "1"},
                                 {"destination": "https://w.example/a", "body": ")" + deep + R"("}])",
                             kLimits);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].index, 1);
  EXPECT_EQ(b.errors[0].field, "[1].body");
  EXPECT_NE(b.errors[0].message.find("nested deeper"), std::string::npos) << b.errors[0].message;
  // Within the limit it is still JSON for the worker; other text is a JSON string.
  const std::string ok = std::string(50, '[') + std::string(50, ']');
  auto fine = parseUpstashBatch(R"([{"destination": "https://w.example/a", "body": ")" + ok + R"("}])", kLimits);
  ASSERT_TRUE(fine.errors.empty());
  EXPECT_EQ(fine.items[0].item.input, ok);
}

TEST(UpstashJsonLimits, ADeepRequestIsRefusedNamingTheItemAndField) {
  const std::string deep = std::string(200'000, '[');
  auto b = parseUpstashBatch(R"([{"destination": "https://w.example/a"}, {"headers": )" + deep, kLimits);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].index, 1);
  EXPECT_EQ(b.errors[0].field, "[1].headers");
  EXPECT_NE(b.errors[0].message.find("nested deeper"), std::string::npos) << b.errors[0].message;
  auto bad_utf8 = parseUpstashBatch("[{\"destination\": \"https://w.example/a\", \"body\": \"\xff\"}]", kLimits);
  ASSERT_EQ(bad_utf8.errors.size(), 1u);
  EXPECT_EQ(bad_utf8.errors[0].field, "[0].body");
}

}  // namespace
}  // namespace batchrun::ingest
