#pragma once
// The batchrun-webhook-sender service: owns its Kafka clients and the ops HTTP server. start() creates topics
// (if configured) and connects; stop() drains.
#include <memory>

#include "batchrun/common/kafka_producer.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/common/ops_http.hpp"
#include "batchrun/webhook/config.hpp"

namespace batchrun::webhook {

class App {
 public:
  explicit App(Config config);
  ~App();
  Status start();
  void stop();
  uint16_t opsPort() const { return ops_ ? ops_->port() : 0; }

 private:
  std::string readiness() const;

  Config config_;
  MetricsRegistry metrics_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<OpsServer> ops_;  // last: its handlers use the members above
};

}  // namespace batchrun::webhook
