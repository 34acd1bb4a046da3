// Query strings (ingest/src/read/run_query.cpp, extend_parse.cpp): GET /v1/runs's parameters and
// Extend's GET /workflow_runs, their percent-decoding, the page cursor, and the RFC 3339 times
// they take. The input is a raw query string ("a=b&c=d"), split the way Pistache splits it, with
// values left undecoded as Pistache hands them over.
#include <map>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/read/run_query.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

std::map<std::string, std::string> splitQuery(std::string_view q) {
  std::map<std::string, std::string> params;
  while (!q.empty()) {
    std::string_view pair = fuzz::take(q, '&');
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) params.emplace(std::string(pair), "");
    else params.emplace(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
  return params;
}

void checkQuery(const RunQuery& q) {
  FUZZ_CHECK(q.limit >= 1 && q.limit <= kMaxPageSize);
  if (!q.after_run_id.empty()) {
    Uuid u;
    FUZZ_CHECK(parseUuid(q.after_run_id, u));
    std::string back;
    FUZZ_CHECK(decodeCursor(encodeCursor(q.after_run_id), back) && back == q.after_run_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::text(data, size);
  const auto params = splitQuery(in);
  fuzz::noThrow("parseRunQuery", [&] {
    const ParsedQuery p = parseRunQuery(params);
    if (p.errors.empty()) checkQuery(p.query);
    else FUZZ_CHECK(fuzz::isJsonObject(errorBody("invalid_query", "invalid query", p.errors)));
  });
  fuzz::noThrow("parseExtendList", [&] {
    const ExtendListQuery p = parseExtendList(params);
    if (p.errors.empty()) checkQuery(p.query);
    else FUZZ_CHECK(fuzz::isJsonObject(extendErrorBody(false, 400, "invalid query", p.errors)));
  });
  fuzz::noThrow("percentDecode/cursor/RFC 3339", [&] {
    FUZZ_CHECK(percentDecode(in).size() <= in.size());
    std::string run_id;
    if (decodeCursor(in, run_id)) {
      Uuid u;
      FUZZ_CHECK(parseUuid(run_id, u));
    }
    Uuid u;
    if (parseUuid(in, u)) FUZZ_CHECK(decodeCursor(encodeCursor(in), run_id) && run_id == in);
    // A time that parses prints as RFC 3339 and parses back to itself (within four-digit years).
    if (auto t = parseRfc3339(in); t && *t >= 0 && *t < 253402300800000) {
      FUZZ_CHECK(parseRfc3339(formatRfc3339(*t)) == t);
    }
  });
  return 0;
}
