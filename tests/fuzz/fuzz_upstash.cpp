// The Upstash dialect's request parsers (ingest/src/dialects/upstash_parse.cpp): the body of
// POST /v2/batch/trigger and of POST /v2/batch (workflow triggers only), with each item's headers
// (Upstash-* options, forwarded headers, failure callback headers) — what must never put CR/LF or
// a framing header on the wire to a worker — and the JSON body of DELETE /v2/workflows/runs.
#include <rapidjson/document.h>

#include "batchrun/common/http/header_rules.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

// A headers object the dispatcher sends as is: string values, every name forwardable.
void checkHeaders(std::string_view text) {
  rapidjson::Document d;
  FUZZ_CHECK(json::parse(d, text).ok() && d.IsObject());
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    FUZZ_CHECK(m->value.IsString());
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const std::string_view value(m->value.GetString(), m->value.GetStringLength());
    FUZZ_CHECK(isHeaderToken(name));
    FUZZ_CHECK(!isReservedHeader(name));
    FUZZ_CHECK(isSafeHeaderValue(value));
    FUZZ_CHECK(!forwardedHeaderProblem(name, value));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::text(data, size);
  RunRequestLimits limits;
  limits.max_items = 8;
  limits.max_item_bytes = 512;
  for (const UpstashEndpoint endpoint : {UpstashEndpoint::kBatchTrigger, UpstashEndpoint::kQStashBatch}) {
    fuzz::noThrow("parseUpstashBatch", [&] {
      const UpstashBatch p = parseUpstashBatch(body, limits, endpoint);
      FUZZ_CHECK(p.items.empty() != p.errors.empty());
      FUZZ_CHECK(p.errors.size() <= kMaxReportedProblems);
      FUZZ_CHECK(static_cast<int>(p.items.size()) <= limits.max_items);
      for (const UpstashItem& u : p.items) {
        FUZZ_CHECK(u.item.workflow_id == kUpstashWorkflowId);
        FUZZ_CHECK(!urlProblem(u.item.destination));
        FUZZ_CHECK(u.failure_callback.empty() || !urlProblem(u.failure_callback));
        FUZZ_CHECK(fuzz::isJson(u.item.inputText(), json::maxDepth()));
        checkHeaders(u.headers);
        checkHeaders(u.failure_callback_headers);
        FUZZ_CHECK(isSafeHeaderValue(u.item.concurrency_key));
        FUZZ_CHECK(u.item.concurrency_key.size() <= kMaxNameLength);
        FUZZ_CHECK(u.item.max_attempts >= 0 && u.item.max_attempts <= kMaxAttempts);
        FUZZ_CHECK(u.parallelism >= 0);
        FUZZ_CHECK(u.workflow_run_id.empty() || u.workflow_run_id.rfind("wfr_", 0) == 0);
        FUZZ_CHECK(u.item.idempotency_key.empty() || !idempotencyKeyProblem(u.item.idempotency_key));
        if (endpoint == UpstashEndpoint::kQStashBatch) {
          // Only workflow triggers pass, each with at least one attempt.
          FUZZ_CHECK(u.workflow_init.size() == 4);
          FUZZ_CHECK(u.item.max_attempts >= 1);
        }
      }
      if (!p.errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(upstashErrorBody("invalid request", p.errors)));
    });
  }
  fuzz::noThrow("parseUpstashCancel", [&] {
    const UpstashCancel c = parseUpstashCancel({}, body);
    FUZZ_CHECK(c.workflow_run_ids.empty() != c.errors.empty());
    FUZZ_CHECK(c.workflow_run_ids.size() <= kMaxUpstashCancelIds);
    for (const auto& id : c.workflow_run_ids) FUZZ_CHECK(!id.empty());
    if (!c.errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(upstashErrorBody("invalid request", c.errors)));
  });
  return 0;
}
