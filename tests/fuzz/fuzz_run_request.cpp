// The native submit parsers (ingest/src/write/run_request_parser.cpp and request_fields.cpp):
// POST /v1/batches (parsed in place, inputs kept as the body's own text) and
// POST /v1/workflows/{id}/runs. The input is the body; for the single-run parser, the text after
// the last NUL byte (if any) is the workflow id of the path.
#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

// What inner code may rely on for every item a parser accepted.
void checkItem(const RunItem& item, const RunRequestLimits& limits) {
  FUZZ_CHECK(!workflowIdProblem(item.workflow_id));
  FUZZ_CHECK(fuzz::isJson(item.inputText(), json::maxDepth()));
  FUZZ_CHECK(fuzz::isJsonObject(item.metadata, json::maxDepth()));
  FUZZ_CHECK(item.priority >= 1 && item.priority <= 100);
  FUZZ_CHECK(item.idempotency_key.empty() || !idempotencyKeyProblem(item.idempotency_key));
  FUZZ_CHECK(item.destination.empty() || !urlProblem(item.destination));
  FUZZ_CHECK(item.queue.size() <= kMaxNameLength && item.concurrency_key.size() <= kMaxNameLength);
  FUZZ_CHECK(item.timeout_seconds >= 0 && item.timeout_seconds <= kMaxTimeoutSeconds);
  FUZZ_CHECK(item.max_attempts >= 0 && item.max_attempts <= kMaxAttempts);
  FUZZ_CHECK(static_cast<int64_t>(item.inputText().size() + item.metadata.size()) <= limits.max_item_bytes);
}

void checkResult(const ParsedRuns& p, const RunRequestLimits& limits) {
  FUZZ_CHECK(p.items.empty() != p.errors.empty());  // all valid, or nothing
  FUZZ_CHECK(p.errors.size() <= kMaxReportedProblems + 1);
  FUZZ_CHECK(static_cast<int>(p.items.size()) <= limits.max_items);
  for (const auto& item : p.items) checkItem(item, limits);
  for (const auto& e : p.errors) FUZZ_CHECK(!e.message.empty());
  // A field may name what the client sent, bytes and all: the answer repairs it into JSON.
  if (!p.errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(errorBody("invalid_request", "invalid request", p.errors)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::text(data, size);
  // Small limits, so the fuzzer reaches them with small inputs.
  RunRequestLimits limits;
  limits.max_items = 8;
  limits.max_item_bytes = 512;
  fuzz::noThrow("parseBatchRequest", [&] {
    const ParsedRuns p = parseBatchRequest(in, limits);
    checkResult(p, limits);
    if (p.items.empty()) return;
    // The batch parser hands on each input as the body's own text: it must be that very value.
    rapidjson::Document body;
    FUZZ_CHECK(json::parse(body, in).ok());
    const rapidjson::Value* runs = fuzz::lastMember(body, "runs");
    FUZZ_CHECK(runs && runs->IsArray() && runs->Size() == p.items.size());
    for (rapidjson::SizeType i = 0; i < runs->Size(); ++i) {
      rapidjson::Document input;
      FUZZ_CHECK(json::parse(input, p.items[i].inputText()).ok());
      const rapidjson::Value* sent = fuzz::lastMember((*runs)[i], "input");
      FUZZ_CHECK(sent && input == *sent);
    }
  });
  const size_t cut = in.rfind('\0');
  const std::string_view single_body = cut == std::string_view::npos ? in : in.substr(0, cut);
  const std::string_view workflow = cut == std::string_view::npos ? "wf" : in.substr(cut + 1);
  fuzz::noThrow("parseSingleRunRequest", [&] {
    const ParsedRuns p = parseSingleRunRequest(single_body, workflow, limits);
    checkResult(p, limits);
    FUZZ_CHECK(p.items.size() <= 1);
  });
  return 0;
}
