#pragma once
// DESIGN "Executing a run": a run goes to its workflow's registered endpoint or to its own
// `destination`. An item with neither would be accepted only to fail later with `no_endpoint`, so
// ingest refuses the request instead (400, nothing accepted) and says how to fix it.
//
// Registrations come from this instance's WorkflowView: one made through this instance is seen at
// once (read-your-writes); one made through another instance as soon as this instance's follower
// has read it from the workflows topic (milliseconds) — a request racing it gets the 400 and can
// simply be sent again. Pure functions; thread-safe as WorkflowView is.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"

namespace batchrun::ingest {

// How one API dialect names the problem of item `index`, whose workflow `workflow_id` is not registered.
using UnregisteredWorkflow = std::function<FieldError(int index, const std::string& workflow_id)>;

// "workflow 'x' is not registered in this project; register it with PUT /v1/workflows/x" and,
// when `alternative` is not empty, " or " + alternative.
std::string unregisteredWorkflowMessage(const std::string& workflow_id, std::string_view alternative);
// The native /v1 problems: {i, "runs[i].workflow_id"} for a batch, {-1, "workflow_id"} (the path's)
// for the single-run route; the message suggests a destination too.
UnregisteredWorkflow nativeUnregisteredWorkflow(bool is_batch);

// One problem per item that has no destination and whose workflow is not registered in `project`;
// consecutive problems with the same index and field (a dialect whose workflow is request-level)
// are reported once. Empty: every item can be delivered.
std::vector<FieldError> unroutableItems(const std::vector<RunItem>& items, std::string_view project,
                                        const WorkflowView& workflows, const UnregisteredWorkflow& describe);

}  // namespace batchrun::ingest
