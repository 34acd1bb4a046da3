// GET /v1/runs query parsing: every parameter valid and invalid, every problem named at once,
// unknown parameters refused, limit bounds, the opaque cursor and percent-decoding.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/ingest/read/run_query.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

using Params = std::map<std::string, std::string>;

const std::string kId = "0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9a";

std::set<std::string> fields(const ParsedQuery& p) {
  std::set<std::string> out;
  for (const auto& e : p.errors) out.insert(e.field);
  return out;
}

}  // namespace

TEST(RunQueryParse, NoParametersGiveTheDefaults) {
  auto p = parseRunQuery({});
  EXPECT_TRUE(p.errors.empty());
  EXPECT_EQ(p.query.limit, kDefaultPageSize);
  EXPECT_EQ(p.query.batch_id, "");
  EXPECT_FALSE(p.query.status);
  EXPECT_EQ(p.query.workflow_id, "");
  EXPECT_EQ(p.query.created_after, 0);
  EXPECT_EQ(p.query.created_before, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(p.query.after_run_id, "");
}

TEST(RunQueryParse, EveryParameterTogether) {
  const std::string run = uuidv7(1'700'000'000'000);
  auto p = parseRunQuery({{"batch_id", kId},
                          {"status", "timed_out"},
                          {"workflow_id", "nightly%2Freport+v2"},
                          {"created_after", "1700000000000"},
                          {"created_before", "2023-11-14T22:13:20.5Z"},
                          {"limit", "1000"},
                          {"cursor", encodeCursor(run)}});
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].field << " " << p.errors[0].message;
  EXPECT_EQ(p.query.batch_id, kId);
  EXPECT_EQ(p.query.status, RunStatus::kTimedOut);
  EXPECT_EQ(p.query.workflow_id, "nightly/report v2");
  EXPECT_EQ(p.query.created_after, 1'700'000'000'000);
  EXPECT_EQ(p.query.created_before, 1'700'000'000'500);
  EXPECT_EQ(p.query.limit, 1000);
  EXPECT_EQ(p.query.after_run_id, run);
}

TEST(RunQueryParse, EveryStatusByName) {
  for (int i = 0; i < 7; ++i) {
    auto s = static_cast<RunStatus>(i);
    auto p = parseRunQuery({{"status", toString(s)}});
    ASSERT_TRUE(p.errors.empty()) << toString(s);
    EXPECT_EQ(p.query.status, s);
  }
}

TEST(RunQueryParse, TimesInMillisecondsOrRfc3339) {
  const std::vector<std::pair<std::string, int64_t>> good = {
      {"0", 0},
      {"1700000000000", 1'700'000'000'000},
      {"2023-11-14T22:13:20Z", 1'700'000'000'000},
      {"2023-11-14T22:13:20.25Z", 1'700'000'000'250},
      {"2023-11-14T23:13:20%2B01:00", 1'700'000'000'000},  // '+' must be sent as %2B
      {"2023-11-14T21:13:20-01:00", 1'700'000'000'000},
  };
  for (const auto& [text, ms] : good) {
    auto after = parseRunQuery({{"created_after", text}});
    auto before = parseRunQuery({{"created_before", text}});
    ASSERT_TRUE(after.errors.empty() && before.errors.empty()) << text;
    EXPECT_EQ(after.query.created_after, ms) << text;
    EXPECT_EQ(before.query.created_before, ms) << text;
  }
}

TEST(RunQueryParse, LimitBounds) {
  EXPECT_EQ(parseRunQuery({{"limit", "1"}}).query.limit, 1);
  EXPECT_EQ(parseRunQuery({{"limit", "37"}}).query.limit, 37);
  EXPECT_EQ(parseRunQuery({{"limit", std::to_string(kMaxPageSize)}}).query.limit, kMaxPageSize);
  const std::vector<std::string> bad_limits = {
      "0", "-1", std::to_string(kMaxPageSize + 1), "99999999999", "", "abc", "10x", " 10", "+10", "1e3", "2.5"};
  for (const std::string& bad : bad_limits) {
    auto p = parseRunQuery({{"limit", bad}});
    EXPECT_EQ(fields(p), std::set<std::string>{"limit"}) << "'" << bad << "'";
    EXPECT_EQ(p.query.limit, kDefaultPageSize) << bad;
  }
}

TEST(RunQueryParse, EachBadValueIsNamedByItsParameter) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"batch_id", "nope"},
      {"batch_id", ""},
      {"batch_id", "0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9g"},
      {"batch_id", kId + "0"},
      {"status", "done"},
      {"status", ""},
      {"status", "Running"},
      {"status", "QUEUED"},
      {"workflow_id", ""},
      {"created_after", "yesterday"},
      {"created_after", ""},
      {"created_after", "-5"},
      {"created_after", "2023-13-01T00:00:00Z"},
      {"created_after", "2023-11-14"},
      {"created_before", "2023-11-14T22:13:20"},
      {"created_before", "12abc"},
      {"cursor", ""},
      {"cursor", "!!!!"},
      {"cursor", "a"},
      {"cursor", encodeCursor("not a run id")},
      {"cursor", encodeCursor(kId + "x")},
      {"cursor", encodeCursor(kId).substr(1)},
  };
  for (const auto& [name, value] : bad) {
    auto p = parseRunQuery({{name, value}});
    ASSERT_EQ(p.errors.size(), 1u) << name << "=" << value;
    EXPECT_EQ(p.errors[0].field, name);
    EXPECT_EQ(p.errors[0].index, -1);
    EXPECT_FALSE(p.errors[0].message.empty());
  }
}

TEST(RunQueryParse, UnknownParametersAreRefused) {
  for (const std::string& name : std::vector<std::string>{"page", "offset", "Status", "batchId", "limit ", ""}) {
    auto p = parseRunQuery({{name, "1"}});
    ASSERT_EQ(p.errors.size(), 1u) << "'" << name << "'";
    EXPECT_EQ(p.errors[0].field, name);
    EXPECT_EQ(p.errors[0].message, "unknown query parameter");
  }
}

TEST(RunQueryParse, EveryProblemIsReportedAtOnce) {
  auto p = parseRunQuery({{"batch_id", "x"},
                          {"status", "done"},
                          {"workflow_id", ""},
                          {"created_after", "soon"},
                          {"created_before", "later"},
                          {"limit", "0"},
                          {"cursor", "?"},
                          {"sort", "desc"}});
  EXPECT_EQ(p.errors.size(), 8u);
  EXPECT_EQ(fields(p), (std::set<std::string>{"batch_id", "status", "workflow_id", "created_after", "created_before",
                                             "limit", "cursor", "sort"}));
}

TEST(RunQueryParse, BatchIdInAnyCaseIsTheViewsLowerCaseForm) {
  // The view indexes batches by the lower-case ids ingest writes; UUIDs are case-insensitive.
  auto p = parseRunQuery({{"batch_id", "0192A5C4-1F00-7B3E-9C1A-5E3F2B1D0C9A"}});
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.query.batch_id, kId);
}

TEST(RunQueryCursor, RoundTripsRunIdsAndIsUrlSafe) {
  std::vector<std::string> ids = {kId, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"};
  for (int i = 0; i < 100; ++i) ids.push_back(uuidv7());
  for (const auto& id : ids) {
    auto cursor = encodeCursor(id);
    EXPECT_EQ(cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << cursor;
    EXPECT_NE(cursor, id);  // opaque, not the id itself
    std::string back;
    ASSERT_TRUE(decodeCursor(cursor, back)) << cursor;
    EXPECT_EQ(back, id);
    // As a query parameter too: nothing in it is changed by percent-decoding.
    EXPECT_EQ(parseRunQuery({{"cursor", cursor}}).query.after_run_id, id);
  }
}

TEST(RunQueryCursor, UsesTheUrlAlphabetWithoutPadding) {
  // Bytes whose standard base64 is "+/8=": the URL alphabet and no padding.
  EXPECT_EQ(encodeCursor(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_EQ(encodeCursor("a"), "YQ");
  EXPECT_EQ(encodeCursor(""), "");
}

TEST(RunQueryCursor, RefusesWhatItDidNotWrite) {
  std::string out;
  EXPECT_FALSE(decodeCursor("", out));
  EXPECT_FALSE(decodeCursor("%%%%", out));
  EXPECT_FALSE(decodeCursor("YQ", out));  // decodes ("a") but is not a run id
  EXPECT_FALSE(decodeCursor(encodeCursor("0192a5c4-1f00-7b3e-9c1a-5e3f2b1d0c9"), out));
  EXPECT_FALSE(decodeCursor(encodeCursor("0192a5c4x1f00-7b3e-9c1a-5e3f2b1d0c9a"), out));
  EXPECT_FALSE(decodeCursor(encodeCursor(kId) + "AAAA", out));
}

TEST(PercentDecode, DecodesHexEscapesAndPlus) {
  EXPECT_EQ(percentDecode(""), "");
  EXPECT_EQ(percentDecode("plain-text_1.2~"), "plain-text_1.2~");
  EXPECT_EQ(percentDecode("a+b"), "a b");
  EXPECT_EQ(percentDecode("%41%62"), "Ab");
  EXPECT_EQ(percentDecode("%2b%2B"), "++");  // an escaped '+' stays a '+'
  EXPECT_EQ(percentDecode("%2F%3a"), "/:");
  EXPECT_EQ(percentDecode("%C3%A9t%C3%A9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(percentDecode("x%41"), "xA");  // an escape that ends the string
  EXPECT_EQ(percentDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percentDecode("%2541"), "%41");  // decoded once, not twice
}

TEST(PercentDecode, KeepsMalformedEscapesAsTheyAre) {
  EXPECT_EQ(percentDecode("%"), "%");
  EXPECT_EQ(percentDecode("a%"), "a%");
  EXPECT_EQ(percentDecode("%4"), "%4");
  EXPECT_EQ(percentDecode("a%4"), "a%4");
  EXPECT_EQ(percentDecode("%zz"), "%zz");
  EXPECT_EQ(percentDecode("%4g"), "%4g");
  EXPECT_EQ(percentDecode("%%41"), "%A");
  EXPECT_EQ(percentDecode("100%"), "100%");
}
