#include "batchrun/ingest/http/openapi_route.hpp"

#include <string>

#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

void addOpenApiRoute(Pistache::Rest::Router& router) {
  using namespace Pistache::Rest;
  Routes::Get(router, "/openapi.json", [](const Request&, Pistache::Http::ResponseWriter rw) {
    static const std::string document(kOpenApiJson);
    try {
      replyJson(rw, Pistache::Http::Code::Ok, document);
    } catch (const std::exception&) {
      // The client went away; nothing else to do.
    }
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
