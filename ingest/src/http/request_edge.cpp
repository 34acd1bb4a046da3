#include "batchrun/ingest/http/request_edge.hpp"

#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;

bool isJsonContentType(const Pistache::Http::Request& request) {
  auto ct = request.headers().tryGet<Pistache::Http::Header::ContentType>();
  if (!ct) return false;
  const auto mime = ct->mime();
  return mime.top() == Pistache::Http::Mime::Type::Application &&
         (mime.sub() == Pistache::Http::Mime::Subtype::Json || mime.suffix() == Pistache::Http::Mime::Suffix::Json);
}

std::optional<std::string> rawHeader(const Pistache::Http::Request& request, const char* name) {
  auto h = request.headers().tryGetRaw(name);
  if (!h) return std::nullopt;
  return h->value();
}

std::optional<std::string> admitRequest(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw,
                                        const EdgeRules& rules, IngestMetrics& metrics) {
  auto project = authenticate(rules.keys, request);
  if (!project) {
    metrics.rejected(Rejection::kUnauthorized).inc();
    addHeader(rw, "WWW-Authenticate", "Bearer");
    replyError(rw, Code::Unauthorized, "unauthorized", "a valid 'Authorization: Bearer <api key>' header is required");
    return std::nullopt;
  }
  if (rules.needs_json_body && !isJsonContentType(request)) {
    metrics.rejected(Rejection::kUnsupportedMedia).inc();
    replyError(rw, Code::Unsupported_Media_Type, "unsupported_media_type",
               "the body must be JSON, sent with 'Content-Type: application/json'");
    return std::nullopt;
  }
  if (static_cast<int64_t>(request.body().size()) > rules.max_body_bytes) {
    metrics.rejected(Rejection::kTooLarge).inc();
    replyError(rw, Code::Request_Entity_Too_Large, "payload_too_large",
               "the body is " + std::to_string(request.body().size()) + " bytes; the limit is " +
                   std::to_string(rules.max_body_bytes));
    return std::nullopt;
  }
  return project;
}

}  // namespace batchrun::ingest
