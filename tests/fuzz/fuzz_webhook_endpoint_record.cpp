// The `webhooks.endpoints` codec (common/src/records/webhook_endpoint.cpp), read by ingest and the
// webhook-sender; the API's view of an endpoint (without its secrets) is checked to be JSON too.
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::noThrow("decodeEndpoint", [&] {
    auto e = fuzz::checkRoundTrip(fuzz::text(data, size), decodeEndpoint, encodeEndpoint);
    if (!e) return;
    rapidjson::Document shown;
    FUZZ_CHECK(json::parse(shown, endpointPublicJson(*e)).ok() && shown.IsObject());
    FUZZ_CHECK(!shown.HasMember("secrets") && !shown.HasMember("secret"));
  });
  return 0;
}
