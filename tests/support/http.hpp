#pragma once
// A blocking HTTP client for tests (libcurl easy): one request, the status, headers and body.
#include <map>
#include <string>

namespace batchrun::testing {

struct HttpResponse {
  long status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string error;
};

HttpResponse httpRequest(const std::string& method, const std::string& url, const std::string& body = {},
                         const std::map<std::string, std::string>& headers = {}, long timeout_ms = 30000);
inline HttpResponse httpGet(const std::string& url, const std::map<std::string, std::string>& headers = {}) {
  return httpRequest("GET", url, {}, headers);
}

}  // namespace batchrun::testing
