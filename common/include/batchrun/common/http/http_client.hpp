#pragma once
// Asynchronous outbound HTTP on libcurl's socket interface: one thread drives every transfer with
// epoll, touching only the connections that have work, so thousands of requests can be in flight
// without a thread per request or a walk over all of them per event. At most
// max_total_connections transfers are with curl; more wait in the client, in order, and the wait
// counts against each one's timeout. Connections are reused (HTTP/1.1 keep-alive), redirects are
// never followed, and the address actually connected to is checked against an OutboundPolicy at
// socket-open time, so DNS rebinding cannot reach private ranges.
//
// Thread-safety: submit() and inFlight() may be called from any thread. Callbacks run on the
// client's own thread and must not block (hand the result to your own queue if work is heavy).
// stop() (also run by the destructor) abandons whatever is still in flight: those callbacks are
// NOT run, so owners must treat in-flight work as lost at shutdown (at-least-once callers re-run it).
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "batchrun/common/http/address_ranges.hpp"

namespace batchrun {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  long timeout_ms = 15000;  // whole transfer, connect included
};

struct HttpResult {
  long status = 0;  // 0: no HTTP answer (see error / timed_out / blocked)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in arrival order
  std::string error;                                         // empty when an HTTP answer arrived
  bool timed_out = false;
  bool blocked = false;  // refused by OutboundPolicy
  double seconds = 0;    // total transfer time

  // First header with this (lower-case) name, or nullptr.
  const std::string* header(const std::string& lower_name) const;
};

struct OutboundPolicy {
  // Loopback, RFC 1918, CGNAT, link-local, ULA, multicast, unspecified, reserved — IPv4 and IPv6
  // (including IPv6 forms carrying an IPv4 address): isPrivateAddress. Only the local run and
  // tests set this.
  bool allow_private = false;
  bool allow_plain_http = true;  // false: https only
  // Cloud metadata services (isMetadataAddress) stay refused even with allow_private.
  bool allow_metadata = false;
};

class HttpClient {
 public:
  explicit HttpClient(OutboundPolicy policy, int max_total_connections = 2048);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using Callback = std::function<void(HttpResult&&)>;
  // Queues the request; `done` runs exactly once on the client's thread (unless stop() comes first).
  void submit(HttpRequest req, Callback done);
  // Submitted and whose callback has not yet returned (0 means every callback has run).
  size_t inFlight() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchrun
