// An item must name a workflow registered in the caller's project or carry its own destination;
// the problems name each item, in the dialect's words.
#include <gtest/gtest.h>

#include "batchrun/common/records/workflow.hpp"
#include "batchrun/ingest/write/workflow_check.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

RunItem item(std::string workflow_id, std::string destination = {}) {
  RunItem i;
  i.workflow_id = std::move(workflow_id);
  i.destination = std::move(destination);
  return i;
}

void registerIn(WorkflowView& view, const std::string& project, const std::string& workflow_id) {
  Workflow w;
  w.project = project;
  w.workflow_id = workflow_id;
  w.endpoint = "http://127.0.0.1:1/run";
  EXPECT_TRUE(view.apply(w.key(), encodeWorkflow(w), 0));
}

}  // namespace

TEST(WorkflowCheck, EveryItemWithoutWorkflowOrDestinationIsNamed) {
  WorkflowView view;
  registerIn(view, "p", "known");
  auto problems = unroutableItems({item("known"), item("missing"), item("missing", "https://w.example/run"),
                                   item("missing"), item("known", "https://w.example/run")},
                                  "p", view, nativeUnregisteredWorkflow(true));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].index, 1);
  EXPECT_EQ(problems[0].field, "runs[1].workflow_id");
  EXPECT_EQ(problems[0].message,
            "workflow 'missing' is not registered in this project; register it with PUT /v1/workflows/missing or "
            "give the item a destination");
  EXPECT_EQ(problems[1].index, 3);
  EXPECT_EQ(problems[1].field, "runs[3].workflow_id");
}

TEST(WorkflowCheck, RegistrationsArePerProject) {
  WorkflowView view;
  registerIn(view, "other", "known");
  EXPECT_EQ(unroutableItems({item("known")}, "p", view, nativeUnregisteredWorkflow(true)).size(), 1u);
  EXPECT_TRUE(unroutableItems({item("known")}, "other", view, nativeUnregisteredWorkflow(true)).empty());
}

TEST(WorkflowCheck, ADeletedRegistrationCountsAsNone) {
  WorkflowView view;
  registerIn(view, "p", "gone");
  ASSERT_TRUE(view.apply("p/gone", {}, 1));  // tombstone
  EXPECT_EQ(unroutableItems({item("gone")}, "p", view, nativeUnregisteredWorkflow(true)).size(), 1u);
}

TEST(WorkflowCheck, TheSingleRunRouteNamesThePathsWorkflow) {
  WorkflowView view;
  auto problems = unroutableItems({item("send-email")}, "p", view, nativeUnregisteredWorkflow(false));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].index, -1);
  EXPECT_EQ(problems[0].field, "workflow_id");
  EXPECT_NE(problems[0].message.find("give the run a destination"), std::string::npos);
}

TEST(WorkflowCheck, ARequestLevelWorkflowIsOneProblem) {
  // As the Extend dialect names it: one field for the whole batch.
  WorkflowView view;
  UnregisteredWorkflow extend = [](int, const std::string& id) {
    return FieldError{-1, "workflow.id", unregisteredWorkflowMessage(id, {})};
  };
  auto problems = unroutableItems({item("wf_1"), item("wf_1"), item("wf_1")}, "p", view, extend);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "workflow.id");
  EXPECT_EQ(problems[0].message,
            "workflow 'wf_1' is not registered in this project; register it with PUT /v1/workflows/wf_1");
}
