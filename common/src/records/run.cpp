#include "batchrun/common/records/run.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun {

namespace {
constexpr const char* kStatusNames[] = {"queued", "running", "retrying", "completed", "failed", "cancelled", "timed_out"};
}

const char* toString(RunStatus s) { return kStatusNames[static_cast<int>(s)]; }

std::optional<RunStatus> parseRunStatus(std::string_view s) {
  for (int i = 0; i < 7; ++i) {
    if (s == kStatusNames[i]) return static_cast<RunStatus>(i);
  }
  return std::nullopt;
}

const std::string& Run::routingKey() const {
  if (!concurrency_key.empty()) return concurrency_key;
  if (!queue.empty() && queue_limit > 0) return queue;
  return run_id;
}

namespace {

// Keys are literals that need no escaping: appended as they are (escaping them per record showed
// in ingest's profile).
template <size_t N>
void key(std::string& out, const char (&k)[N]) {
  out.push_back('"');
  out.append(k, N - 1);
  out.append("\":", 2);
}
template <size_t N>
void str(std::string& out, const char (&k)[N], std::string_view v) {
  key(out, k);
  json::appendString(out, v);
  out.push_back(',');
}
template <size_t N>
void num(std::string& out, const char (&k)[N], int64_t v) {
  key(out, k);
  json::appendInt(out, v);
  out.push_back(',');
}
template <size_t N>
void raw(std::string& out, const char (&k)[N], std::string_view v) {
  key(out, k);
  out += v;
  out.push_back(',');
}
template <size_t N>
void time(std::string& out, const char (&k)[N], int64_t ms) {
  key(out, k);
  if (ms > 0) json::appendString(out, formatRfc3339(ms)); else out += "null";
  out.push_back(',');
}
template <size_t N>
void optStr(std::string& out, const char (&k)[N], const std::string& v) {
  key(out, k);
  if (v.empty()) out += "null"; else json::appendString(out, v);
  out.push_back(',');
}

}  // namespace

std::string encodeRun(const Run& r) { return encodeRun(r, r.input); }

std::string encodeRun(const Run& r, std::string_view input) {
  std::string out;
  out.reserve(512 + input.size() + r.metadata.size() + r.output.size());
  out.push_back('{');
  str(out, "run_id", r.run_id);
  str(out, "batch_id", r.batch_id);
  str(out, "project", r.project);
  str(out, "workflow_id", r.workflow_id);
  raw(out, "input", input);
  raw(out, "metadata", r.metadata);
  num(out, "priority", r.priority);
  str(out, "lane", r.lane);
  if (!r.queue.empty()) str(out, "queue", r.queue);
  if (r.queue_limit > 0) num(out, "queue_limit", r.queue_limit);
  if (!r.concurrency_key.empty()) str(out, "concurrency_key", r.concurrency_key);
  if (!r.destination.empty()) str(out, "destination", r.destination);
  if (r.headers != "{}" && !r.headers.empty()) raw(out, "headers", r.headers);
  if (!r.failure_callback.empty()) str(out, "failure_callback", r.failure_callback);
  if (r.failure_callback_headers != "{}" && !r.failure_callback_headers.empty()) {
    raw(out, "failure_callback_headers", r.failure_callback_headers);
  }
  if (!r.external_id.empty()) str(out, "external_id", r.external_id);
  num(out, "timeout_seconds", r.timeout_seconds);
  num(out, "max_attempts", r.max_attempts);
  num(out, "created_at", r.created_at);
  if (!r.traceparent.empty()) str(out, "traceparent", r.traceparent);
  if (r.batch_size > 0) {
    num(out, "batch_size", r.batch_size);
    num(out, "batch_index", r.batch_index);
  }
  str(out, "status", toString(r.status));
  num(out, "attempt", r.attempt);
  if (r.started_at) num(out, "started_at", r.started_at);
  if (r.completed_at) num(out, "completed_at", r.completed_at);
  if (r.updated_at) num(out, "updated_at", r.updated_at);
  if (r.next_attempt_at) num(out, "next_attempt_at", r.next_attempt_at);
  if (!r.output.empty()) raw(out, "output", r.output);
  if (!r.error_code.empty()) {
    str(out, "error_code", r.error_code);
    str(out, "error_message", r.error_message);
  }
  num(out, "partition", r.partition);
  num(out, "version", r.version);
  out.back() = '}';
  return out;
}

Result<Run> decodeRun(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("run record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("run record is not a JSON object");
  Run r;
  int64_t n = 0;
  if (!json::getString(d, "run_id", r.run_id) || !json::getString(d, "project", r.project)) {
    return Error::invalid("run record without run_id/project");
  }
  json::getString(d, "batch_id", r.batch_id);
  json::getString(d, "workflow_id", r.workflow_id);
  if (auto it = d.FindMember("input"); it != d.MemberEnd()) r.input = json::stringify(it->value);
  if (auto it = d.FindMember("metadata"); it != d.MemberEnd()) r.metadata = json::stringify(it->value);
  if (auto it = d.FindMember("headers"); it != d.MemberEnd()) r.headers = json::stringify(it->value);
  if (auto it = d.FindMember("output"); it != d.MemberEnd()) r.output = json::stringify(it->value);
  if (json::getInt(d, "priority", n)) r.priority = static_cast<int>(n);
  json::getString(d, "lane", r.lane);
  json::getString(d, "queue", r.queue);
  if (json::getInt(d, "queue_limit", n)) r.queue_limit = static_cast<int>(n);
  json::getString(d, "concurrency_key", r.concurrency_key);
  json::getString(d, "destination", r.destination);
  json::getString(d, "failure_callback", r.failure_callback);
  if (auto it = d.FindMember("failure_callback_headers"); it != d.MemberEnd()) {
    r.failure_callback_headers = json::stringify(it->value);
  }
  json::getString(d, "external_id", r.external_id);
  if (json::getInt(d, "timeout_seconds", n)) r.timeout_seconds = static_cast<int>(n);
  if (json::getInt(d, "max_attempts", n)) r.max_attempts = static_cast<int>(n);
  json::getInt(d, "created_at", r.created_at);
  json::getString(d, "traceparent", r.traceparent);
  if (json::getInt(d, "batch_size", n)) r.batch_size = static_cast<int>(n);
  if (json::getInt(d, "batch_index", n)) r.batch_index = static_cast<int>(n);
  std::string status;
  if (json::getString(d, "status", status)) {
    auto s = parseRunStatus(status);
    if (!s) return Error::invalid("run record with unknown status " + status);
    r.status = *s;
  }
  if (json::getInt(d, "attempt", n)) r.attempt = static_cast<int>(n);
  json::getInt(d, "started_at", r.started_at);
  json::getInt(d, "completed_at", r.completed_at);
  json::getInt(d, "updated_at", r.updated_at);
  json::getInt(d, "next_attempt_at", r.next_attempt_at);
  json::getString(d, "error_code", r.error_code);
  json::getString(d, "error_message", r.error_message);
  if (json::getInt(d, "partition", n)) r.partition = static_cast<int32_t>(n);
  json::getInt(d, "version", r.version);
  return r;
}

void appendRunFields(std::string& out, const Run& r) {
  str(out, "run_id", r.run_id);
  optStr(out, "batch_id", r.batch_id);
  str(out, "workflow_id", r.workflow_id);
  str(out, "status", toString(r.status));
  num(out, "priority", r.priority);
  str(out, "lane", r.lane);
  optStr(out, "queue", r.queue);
  optStr(out, "concurrency_key", r.concurrency_key);
  num(out, "attempt", r.attempt);
  num(out, "max_attempts", r.max_attempts);
  num(out, "timeout_seconds", r.timeout_seconds);
  raw(out, "metadata", r.metadata);
  raw(out, "input", r.input);
  raw(out, "output", r.output.empty() ? std::string("null") : r.output);
  json::appendKey(out, "error");
  if (r.error_code.empty()) {
    out += "null";
  } else {
    out += "{\"code\":";
    json::appendString(out, r.error_code);
    out += ",\"message\":";
    json::appendString(out, r.error_message);
    out.push_back('}');
  }
  out.push_back(',');
  time(out, "created_at", r.created_at);
  time(out, "started_at", r.started_at);
  time(out, "completed_at", r.completed_at);
  time(out, "updated_at", r.updated_at ? r.updated_at : r.created_at);
}

}  // namespace batchrun
