#pragma once
// What a worker's answer means for a run (DESIGN "Executing a run"):
//   2xx (not 202) → completed, the body as output (JSON as is, anything else as a JSON string),
//     unless it is JSON nested deeper than json::maxDepth() or not UTF-8 → failed (invalid_output);
//   202 → the worker reports later through POST /v1/runs/{id}/result;
//   4xx other than 408/429, or a destination refused by policy → failed, not retried;
//   408, 429, 5xx, connection error, timeout → retry (if attempts and time remain).
#include <optional>
#include <string>

#include "batchrun/common/http/http_client.hpp"

namespace batchrun::dispatcher {

struct Outcome {
  enum class Kind { kCompleted, kAccepted, kFailed, kRetry };
  Kind kind = Kind::kFailed;
  std::string output;         // kCompleted: raw JSON
  std::string error_code;     // kFailed / kRetry: http_503, timeout, connection_error, ...
  std::string error_message;
  bool timed_out = false;     // the call itself timed out
};

Outcome classify(const HttpResult& r);

// The body as a JSON value: itself if it is valid JSON, else a JSON string of it; "null" if empty.
// nullopt (and why, in `problem`) when it is nested too deep or not UTF-8.
std::optional<std::string> bodyAsJson(const std::string& body, std::string* problem = nullptr);

}  // namespace batchrun::dispatcher
