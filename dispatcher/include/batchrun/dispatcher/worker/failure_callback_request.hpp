#pragma once
// The request that tells a run's failure_callback (Upstash-Failure-Callback) the run failed: a body
// shaped like Upstash's failure callback body, so receivers written for QStash / Upstash Workflow
// read it unchanged —
//   {"status": <the worker's last HTTP status, 0 when no answer decided it>,
//    "header": {<name>: [<value>, ...]} (that answer's headers), "body": <base64 of its body>,
//    "retried": attempt - 1, "maxRetries": max_attempts - 1,
//    "sourceMessageId": run_id, "workflowRunId": external_id or run_id, "topicName": "",
//    "url": <the worker URL>, "method": "POST",
//    "sourceHeader": {<name>: [<value>]} (what the worker was sent), "sourceBody": <base64 of the input>,
//    "createdAt": "<unix ms>", "notBefore": "<unix ms>",
//    "error": {"code", "message"} (batchrun's reason; Upstash clients ignore it)}
// When no HTTP answer decided the failure (connection errors, a timeout, a failed async result)
// "body" carries {"error": code, "message": message}, the shape Upstash Workflow's failure
// handler parses. The request is signed like a worker request (worker_request.hpp: the run id,
// batchrun-timestamp, batchrun-signature), carries batchrun-callback: failure, and the run's
// Upstash-Failure-Callback-Forward-* headers. Pure functions.
#include <cstdint>
#include <string>

#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/records/run.hpp"

namespace batchrun::dispatcher {

// `answer`: the worker's answer that decided the failure, or nullptr.
std::string failureCallbackBody(const Run& run, const std::string& worker_url, const HttpResult* answer);

HttpRequest buildFailureCallbackRequest(const Run& run, std::string body, const std::string& secret, long timeout_ms,
                                        int64_t now_ms);

}  // namespace batchrun::dispatcher
