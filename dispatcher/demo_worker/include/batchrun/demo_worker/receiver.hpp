#pragma once
// The demo webhook receiver (`batchrun-demo-worker --receiver`): takes webhooks POSTed to any path,
// verifies the Standard Webhooks signature when a secret is configured (401 when it does not
// match), prints one JSON line per webhook on stdout and counts them: GET /stats →
// {"total","verified","rejected","unique_ids","by_type":{type:n}}, GET /events → the last 1,000
// accepted bodies, POST /stats/reset. Thread-safe; start once, stop once.
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "batchrun/common/result.hpp"
#include "batchrun/demo_worker/config.hpp"
#include "batchrun/demo_worker/http_server.hpp"

namespace batchrun::demo_worker {

class Receiver {
 public:
  explicit Receiver(Config config);
  ~Receiver();
  Status start();
  void stop();
  uint16_t port() const { return server_.port(); }

  // Called by the HTTP handler: returns the status to answer.
  int receive(const Pistache::Http::Request& request);
  std::string statsJson() const;
  std::string eventsJson() const;
  void reset();

 private:
  std::string currentSecret() const;

  Config config_;
  mutable std::mutex mu_;
  long total_ = 0;
  long verified_ = 0;
  long rejected_ = 0;
  std::set<std::string> ids_;
  std::map<std::string, long> by_type_;
  std::deque<std::string> recent_;
  HttpServer server_;  // last: its handler calls into the members above
};

inline constexpr size_t kRecentWebhooks = 1000;

}  // namespace batchrun::demo_worker
