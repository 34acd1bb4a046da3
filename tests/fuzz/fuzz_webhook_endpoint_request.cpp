// The webhook subscription API's parsers (ingest/src/admin/webhook_endpoint_request.cpp): the
// bodies of POST /v1/webhook-endpoints, …/replay, …/enable and …/disable. A created endpoint is
// stored as a `webhooks.endpoints` record and shown as JSON, so both are checked too.
#include "batchrun/common/json.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

void checkErrors(const std::vector<FieldError>& errors) {
  if (!errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(errorBody("invalid_request", "invalid request", errors)));
}

void checkCreate(std::string_view body) {
  CreateEndpointRequest req;
  std::vector<FieldError> errors;
  const bool ok = parseCreateEndpoint(body, req, errors);
  checkErrors(errors);
  FUZZ_CHECK(ok == errors.empty());
  if (!ok) return;
  FUZZ_CHECK(req.dialect == "native" || req.dialect == "extend");
  FUZZ_CHECK(req.event_types.size() <= 64);
  FUZZ_CHECK(req.rate_limit_per_second >= 0 && req.rate_limit_per_second <= 100000);
  // What was accepted is exactly what was sent: no value cut at an escaped NUL.
  rapidjson::Document d;
  FUZZ_CHECK(json::parse(d, body).ok());
  if (const auto* dialect = fuzz::lastMember(d, "dialect"); dialect && dialect->IsString()) {
    FUZZ_CHECK(fuzz::str(*dialect) == req.dialect);
  }
  if (const auto* url = fuzz::lastMember(d, "url"); url && url->IsString()) FUZZ_CHECK(fuzz::str(*url) == req.url);

  WebhookEndpoint e;
  e.id = "ep_1";
  e.project = "p";
  e.url = req.url;
  e.event_types = req.event_types;
  e.description = req.description;
  e.rate_limit_per_second = req.rate_limit_per_second;
  e.dialect = req.dialect;
  e.secrets.push_back({"whsec_c2VjcmV0", 0});
  e.created_at = e.updated_at = 1700000000000;
  FUZZ_CHECK(fuzz::isJsonObject(endpointPublicJson(e, "whsec_c2VjcmV0")));
  const std::string record = encodeEndpoint(e);
  auto back = decodeEndpoint(record);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->url == e.url && back->event_types == e.event_types && back->description == e.description &&
             back->dialect == e.dialect && back->rate_limit_per_second == e.rate_limit_per_second);
  FUZZ_CHECK(encodeEndpoint(*back) == record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::text(data, size);
  fuzz::noThrow("parseCreateEndpoint", [&] { checkCreate(body); });
  fuzz::noThrow("parseReplay", [&] {
    ReplayRequest r;
    std::vector<FieldError> errors;
    const bool ok = parseReplay(body, r, errors);
    checkErrors(errors);
    FUZZ_CHECK(ok == errors.empty());
    if (ok) FUZZ_CHECK(r.until == 0 || r.until >= r.since);
  });
  fuzz::noThrow("parseEnableEndpoint", [&] {
    std::vector<FieldError> errors;
    FUZZ_CHECK(parseEnableEndpoint(body, errors) == errors.empty());
    checkErrors(errors);
  });
  fuzz::noThrow("parseDisableEndpoint", [&] {
    DisableEndpointRequest r;
    std::vector<FieldError> errors;
    const bool ok = parseDisableEndpoint(body, r, errors);
    checkErrors(errors);
    FUZZ_CHECK(ok == errors.empty());
    if (ok) FUZZ_CHECK(!r.reason.empty());
  });
  return 0;
}
