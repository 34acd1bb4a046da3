#pragma once
// The operational endpoints every service answers: GET /healthz (process alive), GET /readyz
// (200 only when the readiness check passes, e.g. Kafka reachable and views caught up) and
// GET /metrics (Prometheus text). Ingest mounts them on its own router; the dispatcher and the
// webhook-sender run them on a small OpsServer.
#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <functional>
#include <memory>
#include <string>

#include "batchrun/common/metrics.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

// Returns an empty string when ready, otherwise why not (shown in the /readyz body).
using ReadinessCheck = std::function<std::string()>;

void addOpsRoutes(Pistache::Rest::Router& router, MetricsRegistry& metrics, ReadinessCheck ready);

// Owns a Pistache endpoint with only the ops routes. Thread-safe start/stop from one owner.
class OpsServer {
 public:
  OpsServer(std::string host, uint16_t port, MetricsRegistry& metrics, ReadinessCheck ready);
  ~OpsServer();
  Status start();
  void stop();
  uint16_t port() const;  // the bound port (useful with port 0 in tests)

 private:
  std::string host_;
  uint16_t port_;
  MetricsRegistry& metrics_;
  ReadinessCheck ready_;
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace batchrun
