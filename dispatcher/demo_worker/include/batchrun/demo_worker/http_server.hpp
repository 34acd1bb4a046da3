#pragma once
// A Pistache endpoint serving one handler on every path (the demo worker takes runs POSTed to any
// path, so it does not use the router). Owned by Worker / Receiver; start once, stop once.
#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <memory>
#include <string>

#include "batchrun/common/result.hpp"

namespace batchrun::demo_worker {

class HttpServer {
 public:
  ~HttpServer();
  Status start(const std::string& host, int port, int threads, std::shared_ptr<Pistache::Http::Handler> handler);
  void stop();
  uint16_t port() const;

 private:
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

// Small helpers for handlers.
std::string headerValue(const Pistache::Http::Request& request, const std::string& name);
// Sends a JSON body with any status code; never throws (the peer may be gone by now).
void sendJson(Pistache::Http::ResponseWriter& rw, int status, const std::string& body);

inline constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

}  // namespace batchrun::demo_worker
