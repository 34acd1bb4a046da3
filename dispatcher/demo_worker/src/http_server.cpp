#include "batchrun/demo_worker/http_server.hpp"

#include "batchrun/common/logging.hpp"

namespace batchrun::demo_worker {

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start(const std::string& host, int port, int threads,
                         std::shared_ptr<Pistache::Http::Handler> handler) {
  try {
    Pistache::Address addr(host, Pistache::Port(static_cast<uint16_t>(port)));
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(addr);
    endpoint_->init(Pistache::Http::Endpoint::options()
                        .threads(threads)
                        .maxRequestSize(kMaxBodyBytes)
                        .flags(Pistache::Tcp::Options::ReuseAddr));
    endpoint_->setHandler(std::move(handler));
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    endpoint_.reset();
    return Error::unavailable("listen on " + host + ":" + std::to_string(port) + ": " + e.what());
  }
  return {};
}

void HttpServer::stop() {
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
}

uint16_t HttpServer::port() const { return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : 0; }

std::string headerValue(const Pistache::Http::Request& request, const std::string& name) {
  auto raw = request.headers().tryGetRaw(name);
  return raw ? raw->value() : std::string();
}

void sendJson(Pistache::Http::ResponseWriter& rw, int status, const std::string& body) {
  try {
    rw.headers().add<Pistache::Http::Header::ContentType>(MIME(Application, Json));
    rw.send(static_cast<Pistache::Http::Code>(status), body);
  } catch (const std::exception& e) {
    log::debug("response not sent", {{"error", e.what()}});
  }
}

}  // namespace batchrun::demo_worker
