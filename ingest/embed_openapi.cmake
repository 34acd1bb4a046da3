# cmake -DIN=docs/openapi.json -DOUT=openapi_document.cpp -P embed_openapi.cmake
# Embeds the OpenAPI document (kept in sync with docs/openapi.yaml by scripts/openapi-json) so the
# binary serves it at GET /openapi.json without reading files at run time.
file(READ "${IN}" content)
file(WRITE "${OUT}.tmp"
  "// Generated from docs/openapi.json by ingest/embed_openapi.cmake. Do not edit.\n"
  "#include \"batchrun/ingest/http/openapi_route.hpp\"\n\n"
  "namespace batchrun::ingest {\n\n"
  "const char* const kOpenApiJson = R\"openapi_json(${content})openapi_json\";\n\n"
  "}  // namespace batchrun::ingest\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
