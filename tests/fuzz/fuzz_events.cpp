// The runs.events writer (common/src/records/events.cpp). Events are written, not decoded, by
// batchrun, from runs read off runs.state: so this target decodes the input as a run record
// (decodeRun) and checks that every event it makes is a JSON object whose headers are safe. The
// input after the first NUL byte, if any, fills a batch summary for batch.completed.
#include "batchrun/common/json.hpp"
#include "batchrun/common/records/events.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

namespace {

void checkEvent(const OutMessage& m) {
  FUZZ_CHECK(fuzz::isJsonObject(m.value, json::kMaxMaxDepth));
  FUZZ_CHECK(!m.headers.empty());
}

int64_t int64From(std::string_view& in) {
  uint64_t v = 0;
  for (int i = 0; i < 8 && !in.empty(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
  }
  return static_cast<int64_t>(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::text(data, size);
  const std::string_view record = fuzz::take(in);
  fuzz::noThrow("makeRunEvent", [&] {
    auto run = decodeRun(record);
    if (!run) return;
    for (RunStatus s : {RunStatus::kRunning, RunStatus::kRetrying, RunStatus::kCompleted, RunStatus::kFailed,
                        RunStatus::kCancelled, RunStatus::kTimedOut}) {
      // `now` is the dispatcher's clock; the run's own times come from the record (any int64).
      checkEvent(makeRunEvent("runs.events", *run, eventTypeFor(s), 1767225600000));
    }
  });
  if (in.empty()) return 0;
  fuzz::noThrow("makeBatchCompletedEvent", [&] {
    BatchSummary b;
    b.created_at = int64From(in);
    b.completed_at = int64From(in);
    b.total = static_cast<int>(int64From(in));
    // Strings as a decoded record holds them: UTF-8.
    b.project = json::toValidUtf8(fuzz::take(in));
    b.batch_id = json::toValidUtf8(fuzz::take(in));
    while (!in.empty()) b.counts[json::toValidUtf8(fuzz::take(in))] = static_cast<int>(in.size());
    // created_at and completed_at come from run records (any int64); `now` is the clock.
    checkEvent(makeBatchCompletedEvent("runs.events", b, 1767225600000));
  });
  return 0;
}
