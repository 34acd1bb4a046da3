// The workflow registration parser (parseWorkflowBody, ingest/src/admin/workflow_routes.cpp): the
// body of PUT /v1/workflows/{id}. What it accepts is stored as a `workflows` record and answered
// as JSON, so both are checked too.
#include "batchrun/common/json.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "batchrun/ingest/admin/workflow_routes.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::text(data, size);
  fuzz::noThrow("parseWorkflowBody", [&] {
    Workflow w;
    const auto errors = parseWorkflowBody(body, w);
    if (!errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(errorBody("invalid_request", "invalid workflow", errors)));
    if (!errors.empty()) return;
    FUZZ_CHECK(!urlProblem(w.endpoint));
    FUZZ_CHECK(w.concurrency_limit >= 0 && w.concurrency_limit <= kMaxConcurrencyLimit);
    FUZZ_CHECK(w.timeout_seconds >= 0 && w.timeout_seconds <= kMaxTimeoutSeconds);
    FUZZ_CHECK(w.max_attempts >= 0 && w.max_attempts <= kMaxAttempts);
    for (const auto& [name, limit] : w.queues) {
      FUZZ_CHECK(!name.empty() && name.size() <= kMaxNameLength);
      FUZZ_CHECK(limit >= 1 && limit <= kMaxConcurrencyLimit);
    }
    w.project = "p";
    w.workflow_id = "wf";
    w.created_at = w.updated_at = 1700000000000;
    FUZZ_CHECK(fuzz::isJsonObject(workflowJson(w)));
    const std::string record = encodeWorkflow(w);
    auto back = decodeWorkflow(record);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->endpoint == w.endpoint && back->queues == w.queues);
    FUZZ_CHECK(back->concurrency_limit == w.concurrency_limit && back->timeout_seconds == w.timeout_seconds &&
               back->max_attempts == w.max_attempts);
    FUZZ_CHECK(encodeWorkflow(*back) == record);
  });
  return 0;
}
