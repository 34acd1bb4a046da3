#pragma once
// Extend-dialect webhook bodies (docs/compat.md "Extend", endpoints with dialect "extend"): the
// run events Extend has — workflow_run.completed and workflow_run.failed (timed_out is sent as
// failed) — as {eventId, eventType, payload}, the payload being Extend's workflow_run object with
// the run's batchId and its input's metadata. Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace batchrun::webhook {

// Whether an endpoint of `dialect` receives events of `event_type` at all.
bool dialectWants(std::string_view dialect, std::string_view event_type);
// The body to send for the native event `body` (its runs.events value). Falls back to the native
// body if it cannot be read.
std::string bodyForDialect(std::string_view dialect, std::string_view event_id, std::string_view event_type,
                           std::string_view body);

}  // namespace batchrun::webhook
