#pragma once
// Ingest's webhook subscription API (WebhookEndpointRoutes) on a real Pistache endpoint bound to a
// free port, over the real broker, with two API keys: "key-a" → project "pa", "key-b" → "pb".
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "batchrun/common/clock.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/admin/webhook_endpoint_routes.hpp"
#include "http.hpp"

namespace batchrun::testing {

class ApiServer {
 public:
  ApiServer(const KafkaSettings& kafka, Producer& producer, ingest::WebhookEndpointsConfig config,
            Clock& clock = SystemClock::instance());
  ~ApiServer();
  std::string url() const;
  HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                    const std::string& key = "key-a");

 private:
  ingest::ApiKeys keys_;
  Pistache::Rest::Router router_;
  std::unique_ptr<ingest::WebhookEndpointRoutes> routes_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

// Plain http and loopback receivers allowed, as the tests' receivers need.
ingest::WebhookEndpointsConfig permissive();
rapidjson::Document parseJson(const std::string& s);

}  // namespace batchrun::testing
