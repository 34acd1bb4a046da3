#pragma once
// Strict parsers for the webhook subscription API's request bodies: unknown fields are errors and
// every problem is reported at once, naming its field. Pure functions; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

struct CreateEndpointRequest {
  std::string url;
  std::vector<std::string> event_types;
  std::string description;
  int rate_limit_per_second = 0;
  std::string dialect = "native";  // "extend": Extend's event envelope (docs/compat.md)
};

struct ReplayRequest {
  int64_t since = 0;
  int64_t until = 0;  // 0: not given (the request time)
};

// POST …/disable: an operator pausing an endpoint says why (shown as disabled_reason).
struct DisableEndpointRequest {
  std::string reason = "disabled through the API";
};

// False with `errors` filled when the body is not acceptable.
bool parseCreateEndpoint(std::string_view body, CreateEndpointRequest& out, std::vector<FieldError>& errors);
bool parseReplay(std::string_view body, ReplayRequest& out, std::vector<FieldError>& errors);
// The enable and disable bodies are optional: an empty (or blank) body is `{}`.
bool parseEnableEndpoint(std::string_view body, std::vector<FieldError>& errors);
bool parseDisableEndpoint(std::string_view body, DisableEndpointRequest& out, std::vector<FieldError>& errors);
// Whether a body is empty or only whitespace (such bodies need no Content-Type).
bool blankBody(std::string_view body);

}  // namespace batchrun::ingest
