#pragma once
// GET /openapi.json: the API description, docs/openapi.json embedded at build time (that file is
// generated from docs/openapi.yaml by scripts/openapi-json; a ctest checks they agree).
#include <pistache/router.h>

namespace batchrun::ingest {

extern const char* const kOpenApiJson;

void addOpenApiRoute(Pistache::Rest::Router& router);

}  // namespace batchrun::ingest
