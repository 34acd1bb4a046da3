// peekRunIdentity: who a run record that does not decode is about (issue #24 "No poison records").
#include <gtest/gtest.h>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/common/records/run_identity.hpp"

using namespace batchrun;

namespace {

Run sample() {
  Run r;
  r.run_id = uuidv7();
  r.batch_id = uuidv7();
  r.project = "p";
  r.workflow_id = "wf";
  r.lane = "normal";
  r.batch_size = 3;
  r.batch_index = 2;
  r.created_at = 1234;
  return r;
}

TEST(RunIdentity, ReadsTheFieldsOfARecordNestedTooDeepToDecode) {
  batchrun::Run r = sample();
  r.input = std::string(100000, '[') + std::string(100000, ']');
  const std::string record = encodeRun(r);
  ASSERT_FALSE(decodeRun(record));  // past the depth limit
  auto id = peekRunIdentity(record);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->run_id, r.run_id);
  EXPECT_EQ(id->batch_id, r.batch_id);
  EXPECT_EQ(id->project, "p");
  EXPECT_EQ(id->workflow_id, "wf");
  EXPECT_EQ(id->lane, "normal");
  EXPECT_EQ(id->batch_size, 3);  // after the deep input: the scan reads on
  EXPECT_EQ(id->batch_index, 2);
  EXPECT_EQ(id->created_at, 1234);
}

TEST(RunIdentity, KeepsWhatItReadBeforeTheTextBreaksAndTakesTheProjectFromTheHeader) {
  const std::string id = uuidv7();
  auto got = peekRunIdentity(R"({"run_id":")" + id + R"(","input":{"a":[1,2)", "from-header", "b-1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->run_id, id);
  EXPECT_EQ(got->project, "from-header");
  EXPECT_EQ(got->batch_id, "b-1");
}

TEST(RunIdentity, NamesNoRunWithoutAUuidOrAProject) {
  EXPECT_FALSE(peekRunIdentity(std::string("\0\xff garbage", 10)));
  EXPECT_FALSE(peekRunIdentity(""));
  EXPECT_FALSE(peekRunIdentity(R"({"run_id":42,"project":"p"})"));
  EXPECT_FALSE(peekRunIdentity(R"({"run_id":"not-a-uuid","project":"p"})"));
  EXPECT_FALSE(peekRunIdentity(R"({"run_id":")" + uuidv7() + R"("})"));
  // Only top-level fields count: a run_id inside the input is not the record's.
  EXPECT_FALSE(peekRunIdentity(R"({"input":{"run_id":")" + uuidv7() + R"(","project":"p"}})"));
}

}  // namespace
