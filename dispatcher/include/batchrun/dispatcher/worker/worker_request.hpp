#pragma once
// The HTTP request one attempt of a run sends to its worker (DESIGN "Executing a run"): the input
// as the body, the batchrun-* headers, W3C traceparent, the run's own extra headers, and a
// signature the worker can verify:
//   batchrun-timestamp: <unix seconds>
//   batchrun-signature: v1,<base64 HMAC-SHA256(secret, "<run_id>.<timestamp>.<body>")>
// (Standard Webhooks' scheme with the run id as the message id). No secret: no signature headers.
#include <cstdint>
#include <string>

#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/records/run.hpp"

namespace batchrun::dispatcher {

struct WorkerCall {
  std::string url;
  std::string secret;   // BATCHRUN_WORKER_SECRET; empty: unsigned
  int64_t deadline_ms;  // started_at + timeout_seconds
  long timeout_ms;      // this attempt's HTTP timeout
};

HttpRequest buildWorkerRequest(const Run& run, const WorkerCall& call, int64_t now_ms);

// The signature value for these parts (exposed for workers' tests and the demo worker).
std::string workerSignature(const std::string& secret, const std::string& run_id, int64_t unix_seconds,
                            const std::string& body);

// A traceparent for a run that arrived without one: a trace id derived from the run id.
std::string traceparentFor(const Run& run);

}  // namespace batchrun::dispatcher
