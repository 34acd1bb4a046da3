#include "batchrun/dispatcher/worker/worker_request.hpp"

#include <rapidjson/document.h>

#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"
#include "batchrun/common/http/header_rules.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::dispatcher {

namespace {

// Ingest refuses such headers (header_rules.hpp), but a record written before it did, or by
// something else, may still carry them. Dropping the header keeps the request well-formed and
// the run going (the worker's own checks decide about a request without it); failing the run
// would punish it for bytes that are never sent either way. Logged without the value, which may
// be a credential.
void dropped(const Run& run, std::string_view name, std::string_view why) {
  log::warn("worker request: header dropped",
            {{"run_id", run.run_id}, {"header", name.substr(0, 100)}, {"reason", why}});
}

}  // namespace

std::string workerSignature(const std::string& secret, const std::string& run_id, int64_t unix_seconds,
                            const std::string& body) {
  std::string signed_content = run_id + "." + std::to_string(unix_seconds) + "." + body;
  return "v1," + base64Encode(hmacSha256(secret, signed_content));
}

std::string traceparentFor(const Run& run) {
  if (!run.traceparent.empty() && isSafeHeaderValue(run.traceparent)) return run.traceparent;
  // 32 hex trace id from the run id (stable across attempts), 16 hex span id from the attempt.
  std::string hex = sha256Hex(run.run_id + "/" + std::to_string(run.attempt));
  std::string trace = sha256Hex(run.run_id).substr(0, 32);
  return "00-" + trace + "-" + hex.substr(0, 16) + "-01";
}

HttpRequest buildWorkerRequest(const Run& run, const WorkerCall& call, int64_t now_ms) {
  HttpRequest req;
  req.method = "POST";
  req.url = call.url;
  req.body = run.input;
  req.timeout_ms = call.timeout_ms;
  auto& h = req.headers;
  // The run's own headers first; none may carry a reserved name, so ours (below) are the only
  // batchrun-*, framing and trace headers the worker sees.
  rapidjson::Document extra;
  if (json::parseRecord(extra, run.headers) && extra.IsObject()) {
    for (const auto& m : extra.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsString()) continue;
      std::string_view value(m.value.GetString(), m.value.GetStringLength());
      if (auto problem = forwardedHeaderProblem(name, value)) {
        dropped(run, name, *problem);
        continue;
      }
      h.emplace_back(std::string(name), std::string(value));
    }
  }
  h.emplace_back("content-type", "application/json");
  h.emplace_back("batchrun-run-id", run.run_id);
  if (!run.batch_id.empty()) h.emplace_back("batchrun-batch-id", run.batch_id);
  h.emplace_back("batchrun-attempt", std::to_string(run.attempt));
  // One key per attempt, the same when a new owner executes that attempt again after a crash: a
  // worker that remembers it can answer a repeat without doing the work twice (docs/workers.md).
  h.emplace_back("batchrun-attempt-id", run.run_id + ":" + std::to_string(run.attempt));
  h.emplace_back("batchrun-deadline", formatRfc3339(call.deadline_ms));
  h.emplace_back("batchrun-workflow-id", run.workflow_id);
  if (!run.concurrency_key.empty()) h.emplace_back("batchrun-concurrency-key", run.concurrency_key);
  h.emplace_back("traceparent", traceparentFor(run));
  if (!call.secret.empty()) {
    int64_t ts = now_ms / 1000;
    h.emplace_back("batchrun-timestamp", std::to_string(ts));
    h.emplace_back("batchrun-signature", workerSignature(call.secret, run.run_id, ts, req.body));
  }
  // Ours come from the record too (concurrency_key, workflow_id, ...): none may split the request.
  std::erase_if(h, [&run](const auto& header) {
    if (isHeaderToken(header.first) && isSafeHeaderValue(header.second)) return false;
    dropped(run, header.first, "must not contain CR, LF, NUL or other control characters");
    return true;
  });
  return req;
}

}  // namespace batchrun::dispatcher
