// The Extend dialect's request parsers (ingest/src/dialects/extend_parse.cpp): the body of
// POST /workflow_runs/batch in both API shapes, and the x-extend-api-version header that picks the
// shape. The input is the body; the text after the last NUL byte (if any) is the header's value.
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

void checkResult(const ExtendBatch& p, bool legacy, const RunRequestLimits& limits) {
  FUZZ_CHECK(p.items.empty() != p.errors.empty());
  FUZZ_CHECK(p.errors.size() <= kMaxReportedProblems);
  FUZZ_CHECK(static_cast<int>(p.items.size()) <= limits.max_items);
  for (const RunItem& item : p.items) {
    FUZZ_CHECK(!workflowIdProblem(item.workflow_id));
    FUZZ_CHECK(fuzz::isJsonObject(item.inputText(), json::maxDepth()));
    FUZZ_CHECK(fuzz::isJsonObject(item.metadata, json::maxDepth()));
    FUZZ_CHECK(item.priority >= 1 && item.priority <= 100);  // Extend's scale, default kExtendPriority
    FUZZ_CHECK(static_cast<int64_t>(item.input.size() + item.metadata.size()) <= limits.max_item_bytes);
  }
  if (!p.errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(extendErrorBody(legacy, 400, "invalid request", p.errors)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::text(data, size);
  RunRequestLimits limits;
  limits.max_items = 8;
  limits.max_item_bytes = 512;
  const size_t cut = in.rfind('\0');
  const std::string_view body = cut == std::string_view::npos ? in : in.substr(0, cut);
  const std::string_view version = cut == std::string_view::npos ? "" : in.substr(cut + 1);
  fuzz::noThrow("parseExtendBatch", [&] {
    const bool legacy = extendLegacy(version);
    checkResult(parseExtendBatch(body, legacy, limits), legacy, limits);
    checkResult(parseExtendBatch(body, !legacy, limits), !legacy, limits);
  });
  return 0;
}
