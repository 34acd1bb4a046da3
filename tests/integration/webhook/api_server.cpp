#include "api_server.hpp"

#include <gtest/gtest.h>

#include "batchrun/common/crypto.hpp"

namespace batchrun::testing {

ApiServer::ApiServer(const KafkaSettings& kafka, Producer& producer, ingest::WebhookEndpointsConfig config,
                     Clock& clock) {
  keys_.add(sha256Hex("key-a"), "pa");
  keys_.add(sha256Hex("key-b"), "pb");
  auto routes = ingest::WebhookEndpointRoutes::start(config, kafka, keys_, producer, clock);
  EXPECT_TRUE(routes);
  routes_ = std::move(*routes);
  routes_->addRoutes(router_);
  endpoint_ = std::make_unique<Pistache::Http::Endpoint>(Pistache::Address("127.0.0.1", Pistache::Port(0)));
  endpoint_->init(Pistache::Http::Endpoint::options().threads(2).flags(Pistache::Tcp::Options::ReuseAddr));
  endpoint_->setHandler(router_.handler());
  endpoint_->serveThreaded();
}

ApiServer::~ApiServer() {
  // Destroying the endpoint joins its threads: no handler may still touch the members below, which
  // are destroyed next (shutdown() alone leaves them running; TSan caught one).
  endpoint_->shutdown();
  endpoint_.reset();
}

std::string ApiServer::url() const {
  return "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort()));
}

HttpResponse ApiServer::call(const std::string& method, const std::string& path, const std::string& body,
                             const std::string& key) {
  std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
  if (!key.empty()) h["Authorization"] = "Bearer " + key;
  return httpRequest(method, url() + path, body, h);
}

ingest::WebhookEndpointsConfig permissive() {
  ingest::WebhookEndpointsConfig c;
  c.allow_plain_http = true;
  c.allow_private = true;
  return c;
}

rapidjson::Document parseJson(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

}  // namespace batchrun::testing
