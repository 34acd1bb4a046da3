#include "batchrun/common/http/ops_http.hpp"

#include "batchrun/common/logging.hpp"

namespace batchrun {

using Pistache::Http::Code;
using Pistache::Http::Header::ContentType;

void addOpsRoutes(Pistache::Rest::Router& router, MetricsRegistry& metrics, ReadinessCheck ready) {
  using namespace Pistache::Rest;
  Routes::Get(router, "/healthz", [](const Request&, Pistache::Http::ResponseWriter rw) {
    rw.headers().add<ContentType>(MIME(Application, Json));
    rw.send(Code::Ok, R"({"status":"ok"})");
    return Route::Result::Ok;
  });
  Routes::Get(router, "/readyz", [ready](const Request&, Pistache::Http::ResponseWriter rw) {
    std::string why = ready ? ready() : std::string();
    rw.headers().add<ContentType>(MIME(Application, Json));
    if (why.empty()) {
      rw.send(Code::Ok, R"({"status":"ready"})");
    } else {
      std::string body = R"({"status":"not_ready","reason":")";
      log::appendJsonEscaped(body, why);
      body += "\"}";
      rw.send(Code::Service_Unavailable, body);
    }
    return Route::Result::Ok;
  });
  Routes::Get(router, "/metrics", [&metrics](const Request&, Pistache::Http::ResponseWriter rw) {
    rw.headers().add<ContentType>(MIME(Text, Plain));
    rw.send(Code::Ok, metrics.render());
    return Route::Result::Ok;
  });
}

OpsServer::OpsServer(std::string host, uint16_t port, MetricsRegistry& metrics, ReadinessCheck ready)
    : host_(std::move(host)), port_(port), metrics_(metrics), ready_(std::move(ready)) {}

OpsServer::~OpsServer() { stop(); }

Status OpsServer::start() {
  try {
    addOpsRoutes(router_, metrics_, ready_);
    Pistache::Address addr(host_, Pistache::Port(port_));
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(addr);
    endpoint_->init(Pistache::Http::Endpoint::options().threads(1).flags(Pistache::Tcp::Options::ReuseAddr));
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    endpoint_.reset();
    return Error::unavailable("ops server on " + host_ + ":" + std::to_string(port_) + ": " + e.what());
  }
  return {};
}

void OpsServer::stop() {
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
}

uint16_t OpsServer::port() const { return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : port_; }

}  // namespace batchrun
