// The input/metadata text copied from the body as sent (source_text.hpp) must be exactly the
// value's source, whatever whitespace, escapes and nesting surround it.
#include "batchrun/ingest/write/source_text.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "batchrun/ingest/write/run_request.hpp"

namespace batchrun::ingest {
namespace {

// Each member of the parsed object, as sourceText finds it.
std::vector<std::string> spans(const std::string& body) {
  std::string copy = body;
  rapidjson::Document doc;
  doc.ParseInsitu(copy.data());
  EXPECT_FALSE(doc.HasParseError()) << body;
  std::vector<std::string> out;
  InPlaceSource src{body, copy.data()};
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    auto text = sourceText(src, *m);
    out.push_back(text ? std::string(*text) : "<none>");
  }
  return out;
}

TEST(SourceText, EveryKindOfValueAsSent) {
  auto s = spans(R"({"a":1,"b" : -2.5e3 ,"c":"x\"y}","d":{"k":[1,{"n":"]"}]},"e":[ ],"f":null,"g":true})");
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0], "1");
  EXPECT_EQ(s[1], "-2.5e3");
  EXPECT_EQ(s[2], R"("x\"y}")");
  EXPECT_EQ(s[3], R"({"k":[1,{"n":"]"}]})");
  EXPECT_EQ(s[4], "[ ]");
  EXPECT_EQ(s[5], "null");
  EXPECT_EQ(s[6], "true");
}

TEST(SourceText, EscapedNamesAndWhitespaceAroundTheColon) {
  auto s = spans("{\n  \"\\u0069nput\"\t:\r\n {\"a\": \"\\\\\"},\n  \"z\\\"q\": \"\\u00e9\"\n}");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], R"({"a": "\\"})");
  EXPECT_EQ(s[1], R"("\u00e9")");
}

TEST(SourceText, QuotesAfterRunsOfBackslashes) {
  auto s = spans(R"({"a":"\\","b":"x\\\"y","c":"\\\\"})");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], R"("\\")");
  EXPECT_EQ(s[1], R"("x\\\"y")");
  EXPECT_EQ(s[2], R"("\\\\")");
}

TEST(SourceText, NotFoundOutsideTheCopy) {
  std::string body = R"({"a":1})";
  rapidjson::Document doc;
  doc.Parse(body.c_str());  // not in place: names do not point into any copy of the body
  std::string unrelated = body;
  EXPECT_FALSE(sourceText({body, unrelated.data()}, *doc.MemberBegin()).has_value());
}

TEST(SourceText, BatchItemsKeepTheirInputAndMetadataTextAsSent) {
  auto p = parseBatchRequest(
      R"({"workflow_id":"wf","runs":[{"input": {"pad": "a\"b", "n": [1, 2]}, "metadata": {"t": "x"}},
                                    {"metadata":{"u":1},"input":"s"}]})",
      {1000, 1 << 20});
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.items.size(), 2u);
  EXPECT_EQ(p.items[0].inputText(), R"({"pad": "a\"b", "n": [1, 2]})");
  EXPECT_EQ(p.items[0].metadata, R"({"t": "x"})");
  EXPECT_EQ(p.items[1].inputText(), R"("s")");
  EXPECT_EQ(p.items[1].metadata, R"({"u":1})");
}

}  // namespace
}  // namespace batchrun::ingest
