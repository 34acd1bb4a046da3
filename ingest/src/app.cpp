#include "batchrun/ingest/app.hpp"

#include "batchrun/common/kafka_admin.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/ops_http.hpp"

namespace batchrun::ingest {

App::App(IngestConfig config) : config_(std::move(config)) {}

App::~App() { stop(); }

Status App::start() {
  const auto& kafka = config_.service.kafka;
  if (config_.service.create_topics) {
    if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) return st;
  }
  auto producer = Producer::create(kafka);
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  if (auto st = read_.start(kafka); !st) return st;

  addOpsRoutes(router_, metrics_, [this] { return readiness(); });
  read_.addRoutes(router_, config_.api_keys, *producer_, kafka);
  try {
    Pistache::Address addr(config_.service.http_host, Pistache::Port(static_cast<uint16_t>(config_.service.http_port)));
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(addr);
    endpoint_->init(Pistache::Http::Endpoint::options()
                        .threads(config_.http_threads)
                        .flags(Pistache::Tcp::Options::ReuseAddr));
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    endpoint_.reset();
    return Error::unavailable(std::string("listen: ") + e.what());
  }
  log::info("ingest listening", {{"address", config_.service.http_host + ":" + std::to_string(port())}});
  return {};
}

void App::stop() {
  read_.stopStreams();  // SSE streams end cleanly while their connections still exist
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
  read_.stop();
  if (producer_) {
    int left = producer_->flush(10000);
    if (left > 0) log::error("undelivered records at shutdown", {{"count", std::to_string(left)}});
    producer_.reset();
  }
}

uint16_t App::port() const {
  return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : static_cast<uint16_t>(config_.service.http_port);
}

std::string App::readiness() const {
  if (!producer_ || !producer_->reachable(2000)) return "kafka unreachable at " + config_.service.kafka.brokers;
  if (auto why = read_.readiness(); !why.empty()) return why;
  return {};
}

}  // namespace batchrun::ingest
