// The Extend workflow_run object, shared by ingest (its reads) and the webhook-sender (Extend's
// webhook payloads), so both carry the same fields with the same values (docs/compat.md).
#include "batchrun/common/dialects/extend_run.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun {

namespace {

using rapidjson::Value;

void timeOrNull(std::string& out, int64_t ms) {
  if (ms > 0) json::appendString(out, formatRfc3339(ms));
  else out += "null";
}

}  // namespace

const char* extendStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued: return "PENDING";
    case RunStatus::kRunning:
    case RunStatus::kRetrying: return "PROCESSING";
    case RunStatus::kCompleted: return "PROCESSED";
    case RunStatus::kFailed:
    case RunStatus::kTimedOut: return "FAILED";
    case RunStatus::kCancelled: return "CANCELLED";
  }
  return "PENDING";
}

namespace {

// The file an input names, as Extend's FileSummary. batchrun stores no files: an input given by
// id keeps that id, any other gets "file_<run id>"; the name is the one given, else the URL's last
// path segment, else "<run id>.txt" for text (Extend generates one too).
void appendFiles(std::string& out, const Run& r) {
  out += '[';
  rapidjson::Document in;
  if (json::parseRecord(in, r.input) && in.IsObject()) {
    std::string id = "file_" + r.run_id;
    std::string name;
    bool known = false;
    if (in.HasMember("rawText") && in["rawText"].IsString()) {
      known = true;
      name = r.run_id + ".txt";
    } else if (in.HasMember("file") && in["file"].IsObject()) {
      const Value& f = in["file"];
      known = true;
      std::string given;
      if (json::getString(f, "id", given) || json::getString(f, "fileId", given)) id = given;
      if (!json::getString(f, "name", name) && !json::getString(f, "fileName", name)) {
        std::string url;
        if (json::getString(f, "url", url) || json::getString(f, "fileUrl", url)) {
          url = url.substr(0, url.find_first_of("?#"));
          name = url.substr(url.find_last_of('/') + 1);
        } else if (f.HasMember("text")) {
          name = r.run_id + ".txt";
        } else {
          name = id;
        }
        if (name.empty()) name = id;
      }
    }
    if (known) {
      out += R"({"object":"file","id":)";
      json::appendString(out, id);
      out += ",\"name\":";
      json::appendString(out, name);
      out += R"(,"type":null,"parentFileId":null,"metadata":{},"createdAt":)";
      json::appendString(out, formatRfc3339(r.created_at));
      out += ",\"updatedAt\":";
      json::appendString(out, formatRfc3339(r.created_at));
      out += '}';
    }
  }
  out += ']';
}

// The run's one step: the call to its worker, as Extend's EXTERNAL_DATA_VALIDATION step run (the
// step that POSTs to the customer's endpoint and keeps its JSON answer). When PROCESSED its
// result is {response: {status: 200, data: <the worker's answer>}}; an answer that is not a JSON
// object is wrapped as {"value": ...}, since Extend's `data` is an object.
void appendStepRuns(std::string& out, const Run& r, const std::string& files) {
  out += R"([{"object":"workflow_step_run","id":)";
  json::appendString(out, "step_run_" + r.run_id);
  out += ",\"workflowRunId\":";
  json::appendString(out, r.run_id);
  out += ",\"status\":";
  json::appendString(out, extendStatus(r.status));  // the one step's status is the run's
  out += R"(,"stepType":"EXTERNAL_DATA_VALIDATION","step":{"object":"workflow_step","id":"step_worker","name":"worker","type":"EXTERNAL_DATA_VALIDATION"},"result":)";
  if (r.status == RunStatus::kCompleted && !r.output.empty()) {
    const auto first = r.output.find_first_not_of(" \t\r\n");
    const bool object = first != std::string::npos && r.output[first] == '{';
    out += R"({"response":{"status":200,"data":)";
    out += object ? r.output : "{\"value\":" + r.output + "}";
    out += "}}";
  } else {
    out += "null";
  }
  out += ",\"files\":" + files + "}]";
}

}  // namespace

std::string extendRunJson(const Run& r, const ExtendRunContext& context) {
  // The registration's times when the project still has the workflow, else the run's own.
  const int64_t wf_created = context.workflow ? context.workflow->created_at : r.created_at;
  const int64_t wf_updated = context.workflow ? context.workflow->updated_at : r.created_at;
  std::string files;
  appendFiles(files, r);

  std::string out = "{\"object\":\"workflow_run\",\"id\":";
  json::appendString(out, r.run_id);
  out += ",\"workflow\":{\"object\":\"workflow\",\"id\":";
  json::appendString(out, r.workflow_id);
  out += ",\"name\":";
  json::appendString(out, r.workflow_id);
  out += ",\"createdAt\":";
  json::appendString(out, formatRfc3339(wf_created > 0 ? wf_created : r.created_at));
  out += ",\"updatedAt\":";
  json::appendString(out, formatRfc3339(wf_updated > 0 ? wf_updated : r.created_at));
  out += ",\"createdBy\":null},\"workflowVersion\":{\"object\":\"workflow_version\",\"id\":";
  json::appendString(out, r.workflow_id + ":registered");
  out += ",\"version\":\"registered\",\"name\":null,\"createdAt\":";
  json::appendString(out, formatRfc3339(wf_updated > 0 ? wf_updated : r.created_at));
  out += ",\"createdBy\":null},\"workflowId\":";
  json::appendString(out, r.workflow_id);
  // batchrun has no dashboard: the run on batchrun's own API, relative to the URL the client uses.
  out += ",\"dashboardUrl\":";
  json::appendString(out, "/v1/runs/" + r.run_id);
  out += ",\"status\":";
  json::appendString(out, context.cancelling && !isTerminal(r.status) ? "CANCELLING" : extendStatus(r.status));
  out += ",\"batchId\":";
  if (r.batch_id.empty()) out += "null"; else json::appendString(out, r.batch_id);
  out += ",\"metadata\":" + r.metadata + ",\"input\":" + r.input + ",\"files\":" + files;
  out += ",\"failureReason\":";
  const bool failed = r.status == RunStatus::kFailed || r.status == RunStatus::kTimedOut;
  if (failed) json::appendString(out, r.status == RunStatus::kTimedOut ? "timed_out" : r.error_code);
  else out += "null";
  out += ",\"failureMessage\":";
  if (failed && !r.error_message.empty()) json::appendString(out, r.error_message); else out += "null";
  // Extend's review states do not exist in batchrun: never reviewed.
  out += R"(,"reviewed":false,"reviewedByUser":null,"reviewedAt":null,"rejectionNote":null,"priority":)";
  out += std::to_string(r.priority) + ",\"createdAt\":";
  json::appendString(out, formatRfc3339(r.created_at));
  out += ",\"updatedAt\":";
  json::appendString(out, formatRfc3339(r.updated_at > 0 ? r.updated_at : r.created_at));
  out += ",\"initialRunAt\":";
  timeOrNull(out, r.started_at);
  out += ",\"startTime\":";
  timeOrNull(out, r.started_at);
  const int64_t ended = isTerminal(r.status) ? r.completed_at : 0;
  out += ",\"endTime\":";
  timeOrNull(out, ended);
  out += ",\"completedAt\":";
  timeOrNull(out, ended);
  out += ",\"stepRuns\":";
  appendStepRuns(out, r, files);
  out += '}';
  return out;
}

}  // namespace batchrun
