#pragma once
// RunEvents on runs.events: the value is the exact webhook body (Standard Webhooks envelope
// {"type","timestamp","data"}); CloudEvents binary-mode headers carry id, type, source and time.
// The event id is derived from (run, type, attempt), so re-recording the same transition after a
// crash yields the same id and consumers can drop the duplicate.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/records/run.hpp"

namespace batchrun {

namespace event_type {
inline constexpr const char* kStarted = "workflow_run.started";
inline constexpr const char* kRetrying = "workflow_run.retrying";
inline constexpr const char* kCompleted = "workflow_run.completed";
inline constexpr const char* kFailed = "workflow_run.failed";
inline constexpr const char* kCancelled = "workflow_run.cancelled";
inline constexpr const char* kTimedOut = "workflow_run.timed_out";
inline constexpr const char* kBatchCompleted = "batch.completed";
}  // namespace event_type

// The event type a run in this status announces (queued has none).
const char* eventTypeFor(RunStatus status);

std::string runEventId(const Run& run, std::string_view type);

// A ready-to-produce runs.events record for a run's current status.
OutMessage makeRunEvent(const std::string& events_topic, const Run& run, std::string_view type, int64_t now_ms);
// Empty when `value` is an event as makeRunEvent/makeBatchCompletedEvent write it: a JSON object
// with a string "type" and an object "data" (parsed within the record limits: never too deep);
// otherwise why not. Consumers that pass an event's body on as it is (webhooks, event streams)
// refuse what fails it as a poison record.
std::string eventBodyProblem(std::string_view value);

// The run an event's `data` describes (the fields makeRunEvent writes), for consumers that render
// it again in another shape (the webhook-sender's Extend payloads). nullopt when the body is not a
// run event. `project` is not in `data` (it is a header) and stays empty.
std::optional<Run> runFromEventBody(std::string_view body);

struct BatchSummary {
  std::string project;
  std::string batch_id;
  int total = 0;
  std::map<std::string, int> counts;  // status name → runs
  int64_t created_at = 0;
  int64_t completed_at = 0;
};
OutMessage makeBatchCompletedEvent(const std::string& events_topic, const BatchSummary& batch, int64_t now_ms);

// Header names (CloudEvents Kafka binding, binary mode) plus batchrun's routing helpers.
namespace header {
inline constexpr const char* kId = "ce_id";
inline constexpr const char* kType = "ce_type";
inline constexpr const char* kSource = "ce_source";
inline constexpr const char* kTime = "ce_time";
inline constexpr const char* kSpecVersion = "ce_specversion";
inline constexpr const char* kContentType = "content-type";
inline constexpr const char* kProject = "batchrun_project";
inline constexpr const char* kBatchId = "batchrun_batch_id";
inline constexpr const char* kTraceparent = "traceparent";
}  // namespace header

}  // namespace batchrun
