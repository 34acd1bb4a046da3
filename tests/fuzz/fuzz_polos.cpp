// The Polos dialect's request parsers (ingest/src/dialects/polos_parse.cpp):
// POST /api/v1/workflows/batch_run and POST /api/v1/workflows/{id}/run. The input is the body; for
// the single run, the text after the last NUL byte (if any) is the workflow id of the path.
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

void checkResult(const PolosRequest& p, const RunRequestLimits& limits) {
  FUZZ_CHECK(p.items.empty() != p.errors.empty());
  FUZZ_CHECK(p.errors.size() <= kMaxReportedProblems);
  FUZZ_CHECK(p.queue_limits.size() == p.items.size());
  FUZZ_CHECK(static_cast<int>(p.items.size()) <= limits.max_items);
  for (size_t i = 0; i < p.items.size(); ++i) {
    const RunItem& item = p.items[i];
    FUZZ_CHECK(!workflowIdProblem(item.workflow_id));
    FUZZ_CHECK(fuzz::isJson(item.inputText(), json::maxDepth()));
    FUZZ_CHECK(fuzz::isJsonObject(item.metadata, json::maxDepth()));
    FUZZ_CHECK(!item.queue.empty() && item.queue.size() <= kMaxNameLength);
    FUZZ_CHECK(item.concurrency_key.size() <= kMaxNameLength);
    FUZZ_CHECK(p.queue_limits[i] >= 0 && p.queue_limits[i] <= 1'000'000);
    FUZZ_CHECK(item.timeout_seconds >= 0 && item.timeout_seconds <= kMaxTimeoutSeconds);
    FUZZ_CHECK(static_cast<int64_t>(item.input.size() + item.metadata.size()) <= limits.max_item_bytes);
  }
  // The error answer is JSON.
  if (!p.errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(polosErrorBody(400, "invalid request", p.errors)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::text(data, size);
  RunRequestLimits limits;
  limits.max_items = 8;
  limits.max_item_bytes = 512;
  fuzz::noThrow("parsePolosBatch", [&] { checkResult(parsePolosBatch(in, limits), limits); });
  const size_t cut = in.rfind('\0');
  const std::string_view body = cut == std::string_view::npos ? in : in.substr(0, cut);
  const std::string_view workflow = cut == std::string_view::npos ? "wf" : in.substr(cut + 1);
  fuzz::noThrow("parsePolosRun", [&] {
    const PolosRequest p = parsePolosRun(body, workflow, limits);
    checkResult(p, limits);
    FUZZ_CHECK(p.items.size() <= 1);
  });
  return 0;
}
