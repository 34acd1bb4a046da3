#include "batchrun/dispatcher/worker/worker_request.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"

namespace batchrun::dispatcher {

std::string workerSignature(const std::string& secret, const std::string& run_id, int64_t unix_seconds,
                            const std::string& body) {
  std::string signed_content = run_id + "." + std::to_string(unix_seconds) + "." + body;
  return "v1," + base64Encode(hmacSha256(secret, signed_content));
}

std::string traceparentFor(const Run& run) {
  if (!run.traceparent.empty()) return run.traceparent;
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
  // The run's own headers first, so ours (below) are the ones a worker trusts if both are sent.
  rapidjson::Document extra;
  extra.Parse(run.headers.data(), run.headers.size());
  if (!extra.HasParseError() && extra.IsObject()) {
    for (const auto& m : extra.GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsString() || name.rfind("batchrun-", 0) == 0) continue;
      h.emplace_back(std::move(name), std::string(m.value.GetString(), m.value.GetStringLength()));
    }
  }
  h.emplace_back("content-type", "application/json");
  h.emplace_back("batchrun-run-id", run.run_id);
  if (!run.batch_id.empty()) h.emplace_back("batchrun-batch-id", run.batch_id);
  h.emplace_back("batchrun-attempt", std::to_string(run.attempt));
  h.emplace_back("batchrun-deadline", formatRfc3339(call.deadline_ms));
  h.emplace_back("batchrun-workflow-id", run.workflow_id);
  if (!run.concurrency_key.empty()) h.emplace_back("batchrun-concurrency-key", run.concurrency_key);
  h.emplace_back("traceparent", traceparentFor(run));
  if (!call.secret.empty()) {
    int64_t ts = now_ms / 1000;
    h.emplace_back("batchrun-timestamp", std::to_string(ts));
    h.emplace_back("batchrun-signature", workerSignature(call.secret, run.run_id, ts, req.body));
  }
  return req;
}

}  // namespace batchrun::dispatcher
