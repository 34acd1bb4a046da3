// requestProblem: a lane record that decodes but names no run or is out of range is poison.
#include <gtest/gtest.h>

#include "batchrun/common/ids.hpp"
#include "batchrun/dispatcher/state/request_check.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

Run valid() {
  Run r;
  r.run_id = uuidv7();
  r.project = "p";
  r.workflow_id = "wf";
  return r;
}

TEST(RequestCheck, AcceptsWhatIngestWrites) {
  EXPECT_EQ(requestProblem(valid()), "");
  batchrun::Run r = valid();
  r.workflow_id.clear();
  r.destination = "http://worker/run";
  r.batch_size = 2;
  r.batch_index = 5;  // items answered with an existing run are not counted in batch_size
  EXPECT_EQ(requestProblem(r), "");
}

TEST(RequestCheck, NamesTheFieldOutOfRange) {
  auto problem = [](auto change) {
    batchrun::Run r = valid();
    change(r);
    return requestProblem(r);
  };
  EXPECT_NE(problem([](batchrun::Run& r) { r.run_id = "42"; }).find("run_id"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.project.clear(); }).find("project"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.workflow_id.clear(); }).find("workflow_id"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.priority = 1000; }).find("priority"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.max_attempts = -3; }).find("max_attempts"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.timeout_seconds = 2'000'000'000; }).find("timeout_seconds"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.status = RunStatus::kCompleted; }).find("status"), std::string::npos);
  EXPECT_NE(problem([](batchrun::Run& r) { r.batch_index = -1; }).find("batch"), std::string::npos);
}

}  // namespace
