#pragma once
// The CLI's HTTP client for the batchrun API (libcurl easy, one connection reused). Retries 429 and
// 503 honouring Retry-After, and — for requests safe to repeat — connection errors, 502 and 504 with
// exponential backoff. Not thread-safe: one per thread.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "batchrun/cli/config.hpp"

namespace batchrun::cli {

struct ApiResponse {
  long status = 0;    // 0: no HTTP answer (see error)
  std::string body;
  std::string error;  // transport error, when status is 0
  bool ok() const { return status >= 200 && status < 300; }
};

// "HTTP 400 invalid_request: message" plus one line per detail; index_to_line maps a detail's item
// index to a name for it (e.g. the input line) when given.
std::string describeError(const ApiResponse& r, const std::function<std::string(int)>& index_to_line = {});

// Seconds to wait from a Retry-After value (delta-seconds); fallback when absent or unparsable.
double retryAfterSeconds(const std::string& header, double fallback);

class ApiClient {
 public:
  using Notice = std::function<void(const std::string&)>;  // told about each retry
  explicit ApiClient(CliConfig config, Notice notice = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // repeatable: the request may be sent again after a transport error (GET, DELETE, cancels, and
  // POSTs carrying an Idempotency-Key).
  ApiResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::vector<std::pair<std::string, std::string>>& headers = {}, bool repeatable = true);

 private:
  ApiResponse once(const std::string& method, const std::string& path, const std::string& body,
                   const std::vector<std::pair<std::string, std::string>>& headers, std::string& retry_after);

  CliConfig config_;
  Notice notice_;
  void* curl_;  // CURL*
};

}  // namespace batchrun::cli
