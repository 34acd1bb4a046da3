#pragma once
// The strict parser of GET /v1/runs query parameters, and the opaque page cursor. Every problem is
// reported at once, each naming its parameter; unknown parameters are an error too.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

struct ParsedQuery {
  RunQuery query;
  std::vector<FieldError> errors;  // empty: valid
};

// params: the raw query parameters (name → value), as Pistache gives them.
ParsedQuery parseRunQuery(const std::map<std::string, std::string>& params);

// The cursor is the last run id of a page, base64url-encoded so clients treat it as opaque and it
// needs no escaping in a URL. A cursor stays valid while runs change: it is a position, not a snapshot.
std::string encodeCursor(std::string_view run_id);
bool decodeCursor(std::string_view cursor, std::string& run_id);

// %XX and '+' decoding of a query value (Pistache 0.0.5 hands values over undecoded).
std::string percentDecode(std::string_view s);

}  // namespace batchrun::ingest
