// The bounded parse every service's JSON goes through: depth limit, UTF-8 validation, no
// recursion proportional to the input, and the path to where a parse failed.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json.hpp"

using namespace batchrun;
using Kind = json::ParseStatus::Kind;

namespace {

std::string nestedArrays(int depth) { return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']'); }

std::string nestedObjects(int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += "{\"a\":";
  out += "1";
  out += std::string(static_cast<size_t>(depth), '}');
  return out;
}

json::ParseStatus parseText(std::string_view text, int max_depth = json::kDefaultMaxDepth) {
  rapidjson::Document d;
  return json::parse(d, text, max_depth);
}

}  // namespace

TEST(JsonParse, AcceptsNestingUpToTheLimitAndRefusesOneMore) {
  EXPECT_TRUE(parseText(nestedArrays(128)).ok());
  EXPECT_TRUE(parseText(nestedObjects(128)).ok());
  auto arrays = parseText(nestedArrays(129));
  EXPECT_EQ(arrays.kind, Kind::kTooDeep);
  EXPECT_EQ(arrays.reason(), "nested deeper than 128 levels");
  EXPECT_EQ(arrays.offset, 128u);  // the 129th '['
  EXPECT_EQ(parseText(nestedObjects(129)).kind, Kind::kTooDeep);
  EXPECT_EQ(parseText(nestedArrays(20), 16).kind, Kind::kTooDeep);
  EXPECT_TRUE(parseText(nestedArrays(16), 16).ok());
}

TEST(JsonParse, TwoHundredThousandOpenBracketsFailWithoutCrashing) {
  // RapidJSON's recursive parser overflows the stack on this; the bounded one stops at the limit.
  const std::string body(200000, '[');
  auto st = parseText(body);
  EXPECT_EQ(st.kind, Kind::kTooDeep);
  // Even with no limit to speak of, the parse is iterative: a syntax error at the end, no crash.
  auto unlimited = parseText(body, 1 << 30);
  EXPECT_EQ(unlimited.kind, Kind::kSyntax);
}

TEST(JsonParse, AValueParsedAtTheLimitCanBeWrittenBack) {
  rapidjson::Document d;
  const std::string text = nestedArrays(128);
  ASSERT_TRUE(json::parse(d, text).ok());
  EXPECT_EQ(json::stringify(d), text);
}

TEST(JsonParse, RefusesInvalidUtf8InStringsAndMemberNames) {
  const char* bad[] = {
      "\"\xC0\xAF\"",          // overlong '/'
      "\"\xE0\x80\xAF\"",      // overlong, three bytes
      "\"\xED\xA0\x80\"",      // a UTF-16 surrogate written as UTF-8
      "\"\xE2\x82\"",          // truncated sequence
      "\"\xFF\"",              // never valid
      "\"\xF4\x90\x80\x80\"",  // past U+10FFFF
      "\"\\udc00\"",           // an escaped lone low surrogate (RapidJSON 1.1 decodes it to ED B0 80)
      "\"a\\udfffb\"",
      "{\"k\xFF\":1}",         // in a member name
      "{\"\\udc00\":1}",
  };
  for (const char* text : bad) {
    auto st = parseText(text);
    EXPECT_EQ(st.kind, Kind::kEncoding) << text;
    EXPECT_EQ(st.reason(), "is not valid UTF-8") << text;
  }
  // A lone high surrogate is refused by RapidJSON itself (a syntax error).
  EXPECT_FALSE(parseText("\"\\ud800\"").ok());
}

TEST(JsonParse, AcceptsValidUtf8AndEscapedPairs) {
  rapidjson::Document d;
  ASSERT_TRUE(json::parse(d, "[\"\xE2\x82\xAC\", \"\xF0\x9F\x98\x80\", \"\\ud83d\\ude00\", \"\xED\x9F\xBF\", \"\xEE\x80\x80\"]").ok());
  EXPECT_EQ(std::string(d[2].GetString()), "\xF0\x9F\x98\x80");
}

TEST(JsonParse, SyntaxErrorsKeepRapidJsonsReasonAndANulIsNotTheEnd) {
  auto st = parseText("{\"a\":}");
  EXPECT_EQ(st.kind, Kind::kSyntax);
  EXPECT_EQ(st.message(), "malformed JSON at offset 5: Invalid value.");
  EXPECT_EQ(parseText(std::string_view("{}\0{}", 5)).kind, Kind::kSyntax);
  rapidjson::Document d;
  d.SetObject();
  EXPECT_FALSE(json::parse(d, "[").ok());
  EXPECT_TRUE(d.IsNull());  // a failed parse leaves no partial document
}

TEST(JsonParse, TheProcessLimitIsClampedAndRecordsGetAMargin) {
  const int before = json::maxDepth();
  json::setMaxDepth(3);
  EXPECT_EQ(json::maxDepth(), json::kMinMaxDepth);
  json::setMaxDepth(64);
  EXPECT_EQ(json::recordMaxDepth(), 64 + json::kRecordDepthMargin);
  rapidjson::Document d;
  EXPECT_EQ(json::parse(d, nestedArrays(65)).kind, Kind::kTooDeep);
  EXPECT_TRUE(json::parseRecord(d, nestedArrays(65)).ok());
  json::setMaxDepth(before);
}

TEST(JsonValidUtf8, MatchesTheParser) {
  EXPECT_TRUE(json::validUtf8("plain ascii"));
  EXPECT_TRUE(json::validUtf8("\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(json::validUtf8("\xC0\xAF"));
  EXPECT_FALSE(json::validUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(json::validUtf8("ok\xE2\x82"));
  EXPECT_FALSE(json::validUtf8("\xFF"));
}

TEST(JsonPathAt, NamesTheValueWhereAParseStopped) {
  const std::string text = R"({"runs":[{"input":1},{"queue":"q","input":[[0,[)";
  // The prefix ends inside input[0][1]: the value being read is its first element.
  EXPECT_EQ(json::formatPath(json::pathAt(text, text.size())), "runs[1].input[0][1][0]");
  const std::string in_string = "{\"runs\":[{\"input\":\"x\"},{\"input\":\"ab\xFF\"}]}";
  EXPECT_EQ(json::formatPath(json::pathAt(in_string, in_string.find('\xFF'))), "runs[1].input");
  const std::string in_array = "[\"a\",\"b\xFF\"]";
  EXPECT_EQ(json::formatPath(json::pathAt(in_array, in_array.find('\xFF'))), "[1]");
  // At a bracket (where a too-deep parse stops) the place is the value that bracket opens.
  EXPECT_EQ(json::formatPath(json::pathAt("{\"a\":{\"b\":1},\"c\":[", 17)), "c");
  EXPECT_EQ(json::formatPath(json::pathAt("{\"a\":{\"b\":1},\"c\":[", 18)), "c[0]");
  EXPECT_EQ(json::formatPath(json::pathAt("[[[", 0)), "");
}

TEST(JsonPathAt, ADeepPrefixKeepsOnlyTheFirstSteps) {
  const std::string text = "{\"input\":" + std::string(200000, '[');
  auto steps = json::pathAt(text, text.size(), 4);
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(json::formatPath(steps), "input[0][0][0]");
}

TEST(JsonToValidUtf8, ReplacesBadBytesAndNeverCutsACharacter) {
  EXPECT_EQ(json::toValidUtf8("ok \xFF ok"), "ok \xEF\xBF\xBD ok");
  EXPECT_EQ(json::toValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(json::toValidUtf8("ab\xE2\x82\xAC", 4), "ab");  // the euro sign does not fit: left out
  EXPECT_EQ(json::toValidUtf8("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(json::toValidUtf8("abc", 2), "ab");
  EXPECT_TRUE(json::validUtf8(json::toValidUtf8("\xF0\x9F\x98\x80\xED\xA0\x80\xE2\x82", 1000)));
}

TEST(JsonAppendString, WritesOnlyUtf8) {
  std::string out;
  json::appendString(out, "a\"\xFF\n\xE2\x82\xAC");
  EXPECT_EQ(out, "\"a\\\"\xEF\xBF\xBD\\n\xE2\x82\xAC\"");
  EXPECT_TRUE(json::validUtf8(out));
}

// Found by tests/fuzz (fuzz_run_request): RapidJSON 1.1's SSE2 string scan, used on in-place and
// string streams, let raw bytes 0x1A..0x1F through into strings (it tests c <= 0x19), so such text
// was accepted there and refused by every other parse. Every alignment of the byte is tried: the
// SIMD loop only takes over at a 16-byte boundary.
TEST(JsonParse, RawControlBytesAreRefusedByTheInPlaceParseAsByTheOthers) {
  for (int c = 0x01; c < 0x20; ++c) {
    for (size_t at = 0; at < 40; ++at) {
      std::string text = "{\"k\":\"" + std::string(48, 'a') + "\"}";
      text[6 + at] = static_cast<char>(c);
      const bool allowed = false;  // no raw byte below 0x20 is valid inside a string
      EXPECT_EQ(parseText(text).ok(), allowed) << "byte " << c << " at " << at;
      std::string buffer = text;
      rapidjson::InsituStringStream in(buffer.data());
      rapidjson::Document d;
      // As ingest parses request bodies: UTF-8 checked beforehand, so RapidJSON's SIMD scan is on.
      const auto st = json::parseStream<rapidjson::kParseInsituFlag>(d, in, text.size(), json::kDefaultMaxDepth,
                                                                     json::Utf8::kAlreadyValidated);
      EXPECT_EQ(st.ok(), allowed) << "in place: byte " << c << " at " << at;
      if (!st.ok()) {
        EXPECT_EQ(st.kind, Kind::kSyntax);
      }
    }
  }
}

// Found by tests/fuzz (fuzz_json_parse, fuzz_run_record): RapidJSON 1.1 read 4e308 as infinity, and
// what stringify then wrote was not JSON (a single run's input, a record re-encoded).
TEST(JsonParse, NumbersPastTheDoubleRangeAreRefused) {
  for (const char* text : {"4e308", "-4e308", "[22000671e308]", "1e400"}) {
    const auto st = parseText(text);
    EXPECT_FALSE(st.ok()) << text;
    EXPECT_EQ(st.kind, Kind::kSyntax) << text;
  }
  rapidjson::Document d;
  ASSERT_TRUE(json::parse(d, "[1.7976931348623157e308, -1.7976931348623157e308]").ok());
  EXPECT_TRUE(parseText(json::stringify(d)).ok());
}
