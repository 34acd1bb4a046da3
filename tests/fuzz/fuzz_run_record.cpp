// The run record codec (common/src/records/run.cpp): lane topics and runs.state, read by the
// dispatcher and by ingest's read view. Any bytes on the topic are decoded or refused; a decoded
// run re-encodes to a record that decodes again to the same run, and its public JSON (what
// GET /v1/runs, events and webhooks show) is a JSON object.
#include "batchrun/common/records/run.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::text(data, size);
  fuzz::noThrow("decodeRun", [&] {
    auto run = fuzz::checkRoundTrip(text, decodeRun, [](const Run& r) { return encodeRun(r); });
    if (!run) return;
    std::string fields = "{";
    appendRunFields(fields, *run);
    fields.back() = '}';
    FUZZ_CHECK(fuzz::isJsonObject(fields, json::kMaxMaxDepth));
    (void)run->routingKey();
  });
  return 0;
}
