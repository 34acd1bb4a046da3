#include "batchrun/webhook/app.hpp"

#include "batchrun/common/kafka_admin.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::webhook {

App::App(Config config) : config_(std::move(config)) {}

App::~App() { stop(); }

Status App::start() {
  const auto& kafka = config_.service.kafka;
  if (config_.service.create_topics) {
    if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) return st;
  }
  auto producer = Producer::create(kafka);
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  ops_ = std::make_unique<OpsServer>(config_.service.http_host, static_cast<uint16_t>(config_.service.http_port),
                                     metrics_, [this] { return readiness(); });
  if (auto st = ops_->start(); !st) return st;
  log::info("ops endpoint listening", {{"port", std::to_string(ops_->port())}});
  return {};
}

void App::stop() {
  if (ops_) {
    ops_->stop();
    ops_.reset();
  }
  if (producer_) {
    producer_->flush(10000);
    producer_.reset();
  }
}

std::string App::readiness() const {
  if (!producer_ || !producer_->reachable(2000)) return "kafka unreachable at " + config_.service.kafka.brokers;
  return {};
}

}  // namespace batchrun::webhook
