#include "batchrun/dispatcher/worker/failure_callback_request.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <utility>
#include <vector>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/http/header_rules.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/dispatcher/worker/worker_request.hpp"

namespace batchrun::dispatcher {

namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// {name: [values]} (Go's http.Header, which Upstash sends), names in first-seen order.
void appendHeaderMap(std::string& out, const HeaderList& headers) {
  std::vector<std::pair<std::string, std::vector<const std::string*>>> grouped;
  for (const auto& [name, value] : headers) {
    auto it = grouped.begin();
    while (it != grouped.end() && it->first != name) ++it;
    if (it == grouped.end()) it = grouped.insert(grouped.end(), {name, {}});
    it->second.push_back(&value);
  }
  out.push_back('{');
  for (size_t i = 0; i < grouped.size(); ++i) {
    if (i) out.push_back(',');
    json::appendKey(out, grouped[i].first);
    out.push_back('[');
    for (size_t j = 0; j < grouped[i].second.size(); ++j) {
      if (j) out.push_back(',');
      json::appendString(out, *grouped[i].second[j]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

// A raw JSON object of string values (Run::headers, Run::failure_callback_headers) as a list.
HeaderList headerList(const std::string& raw_object) {
  HeaderList out;
  rapidjson::Document d;
  if (!json::parseRecord(d, raw_object) || !d.IsObject()) return out;
  for (const auto& m : d.GetObject()) {
    if (!m.value.IsString()) continue;
    out.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                     std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

// Headers a forwarded one must not replace (ours, and those that frame the request), and any
// that would split it: the shared rules (header_rules.hpp), which ingest applied already.
bool reserved(const std::string& name, const std::string& value) {
  return forwardedHeaderProblem(name, value).has_value();
}

void field(std::string& out, const char* key) {
  if (out.back() != '{') out.push_back(',');
  json::appendKey(out, key);
}

}  // namespace

std::string failureCallbackBody(const Run& run, const std::string& worker_url, const HttpResult* answer) {
  const bool answered = answer && answer->status != 0;
  std::string reason;  // what the body says when no HTTP answer decided the failure
  if (!answered) {
    reason = "{\"error\":";
    json::appendString(reason, run.error_code);
    reason += ",\"message\":";
    json::appendString(reason, run.error_message);
    reason += '}';
  }
  HeaderList source = headerList(run.headers);
  source.emplace_back("Content-Type", "application/json");  // as the worker request carried it

  std::string out;
  out.reserve(512 + (run.input.size() + (answered ? answer->body.size() : reason.size())) * 4 / 3);
  out.push_back('{');
  field(out, "status");
  json::appendInt(out, answered ? answer->status : 0);
  field(out, "header");
  appendHeaderMap(out, answered ? answer->headers : HeaderList{});
  field(out, "body");
  json::appendString(out, base64Encode(answered ? answer->body : reason));
  field(out, "retried");
  json::appendInt(out, run.attempt > 0 ? run.attempt - 1 : 0);
  field(out, "maxRetries");
  json::appendInt(out, run.max_attempts > 0 ? run.max_attempts - 1 : 0);
  field(out, "sourceMessageId");
  json::appendString(out, run.run_id);
  field(out, "workflowRunId");
  json::appendString(out, run.external_id.empty() ? run.run_id : run.external_id);
  field(out, "topicName");
  json::appendString(out, "");  // batchrun has no URL groups
  field(out, "url");
  json::appendString(out, worker_url);
  field(out, "method");
  json::appendString(out, "POST");
  field(out, "sourceHeader");
  appendHeaderMap(out, source);
  field(out, "sourceBody");
  json::appendString(out, base64Encode(run.input));
  // Upstash documents these two as strings of unix milliseconds.
  field(out, "createdAt");
  json::appendString(out, std::to_string(run.created_at));
  field(out, "notBefore");
  json::appendString(out, std::to_string(run.created_at));
  field(out, "error");
  out += "{\"code\":";
  json::appendString(out, run.error_code);
  out += ",\"message\":";
  json::appendString(out, run.error_message);
  out += "}}";
  return out;
}

HttpRequest buildFailureCallbackRequest(const Run& run, std::string body, const std::string& secret, long timeout_ms,
                                        int64_t now_ms) {
  HttpRequest req;
  req.method = "POST";
  req.url = run.failure_callback;
  req.timeout_ms = timeout_ms;
  req.body = std::move(body);
  // Upstash-Failure-Callback-Forward-* (e.g. the receiver's credentials), then ours.
  for (auto& [name, value] : headerList(run.failure_callback_headers)) {
    if (reserved(name, value)) continue;
    req.headers.emplace_back(std::move(name), std::move(value));
  }
  auto& h = req.headers;
  h.emplace_back("content-type", "application/json");
  h.emplace_back("batchrun-callback", "failure");
  h.emplace_back("batchrun-run-id", run.run_id);
  if (!run.batch_id.empty()) h.emplace_back("batchrun-batch-id", run.batch_id);
  h.emplace_back("batchrun-workflow-id", run.workflow_id);
  h.emplace_back("traceparent", traceparentFor(run));
  if (!secret.empty()) {
    int64_t ts = now_ms / 1000;
    h.emplace_back("batchrun-timestamp", std::to_string(ts));
    h.emplace_back("batchrun-signature", workerSignature(secret, run.run_id, ts, req.body));
  }
  return req;
}

}  // namespace batchrun::dispatcher
