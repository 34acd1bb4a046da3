// The async result parser (parseResultBody, ingest/src/read/control_routes.cpp): the body of
// POST /v1/runs/{id}/result. What it accepts becomes a runs.control record, so that is checked too.
#include "batchrun/common/json.hpp"
#include "batchrun/common/records/control.hpp"
#include "batchrun/ingest/read/control_routes.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::text(data, size);
  fuzz::noThrow("parseResultBody", [&] {
    ControlMessage m;
    m.type = ControlMessage::Type::kResult;
    m.run_id = "0190c0de-0000-7000-8000-000000000000";
    m.project = "p";
    const auto errors = parseResultBody(body, m);
    if (!errors.empty()) FUZZ_CHECK(fuzz::isJsonObject(errorBody("invalid_request", "invalid result", errors)));
    if (!errors.empty()) return;
    // Accepted: the status and error are exactly what was sent (no value cut at an escaped NUL).
    rapidjson::Document d;
    FUZZ_CHECK(json::parse(d, body).ok());
    const auto* status = fuzz::lastMember(d, "status");
    FUZZ_CHECK(status && status->IsString());
    FUZZ_CHECK(fuzz::str(*status) == (m.success ? "completed" : "failed"));
    if (m.success) FUZZ_CHECK(m.error_code.empty());
    else FUZZ_CHECK(!m.error_code.empty());
    if (const auto* error = fuzz::lastMember(d, "error"); error && error->IsObject()) {
      // (the parser reads an error's first code and message, like RapidJSON's FindMember)
      if (auto code = error->FindMember("code"); code != error->MemberEnd() && code->value.IsString()) {
        FUZZ_CHECK(fuzz::str(code->value) == m.error_code);
      }
      if (auto message = error->FindMember("message"); message != error->MemberEnd() && message->value.IsString()) {
        FUZZ_CHECK(fuzz::str(message->value) == m.error_message);
      }
    }
    FUZZ_CHECK(m.output.empty() || fuzz::isJson(m.output, json::maxDepth()));
    FUZZ_CHECK(m.attempt >= 0);
    const std::string record = encodeControl(m);
    auto back = decodeControl(record);
    FUZZ_CHECK(back.ok());
    if (fuzz::textHoldsDouble(m.output)) return;  // an open bug: doubles may drift (fuzz_support.hpp)
    FUZZ_CHECK(back->success == m.success && back->output == m.output && back->error_code == m.error_code &&
               back->error_message == m.error_message && back->attempt == m.attempt);
    FUZZ_CHECK(encodeControl(*back) == record);
  });
  return 0;
}
