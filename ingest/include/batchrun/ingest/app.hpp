#pragma once
// The ingest service: owns the Kafka producer, the HTTP endpoint and its routes. start() creates
// topics (if configured), connects, and serves; stop() stops taking requests, then flushes.
#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <memory>

#include "batchrun/common/kafka_producer.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/ingest/config.hpp"
#include "batchrun/ingest/read_side.hpp"

namespace batchrun::ingest {

class App {
 public:
  explicit App(IngestConfig config);
  ~App();
  Status start();
  void stop();
  uint16_t port() const;
  MetricsRegistry& metrics() { return metrics_; }
  // The run view: call readSide().view().noteAccepted(run) after a run's produce is acknowledged.
  ReadSide& readSide() { return read_; }

 private:
  std::string readiness() const;

  IngestConfig config_;
  MetricsRegistry metrics_;
  std::unique_ptr<Producer> producer_;
  ReadSide read_;  // run view, batch events, SSE streams (read_side.hpp)
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;  // last: its handlers use the members above
};

}  // namespace batchrun::ingest
