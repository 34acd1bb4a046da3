// The handover marker on runs.state (common/src/records/handover_marker.cpp): its `upto` is read
// from whatever value a runs.state record with the marker's key holds.
#include "batchrun/common/records/handover_marker.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::text(data, size);
  fuzz::noThrow("handoverUpto", [&] {
    const int64_t upto = handoverUpto(text);
    // What a marker says is read back exactly, whatever partition, offset and time it carries.
    const OutMessage m = handoverMarker("runs.state", static_cast<int32_t>(size), upto, upto);
    FUZZ_CHECK(fuzz::isJsonObject(m.value));
    FUZZ_CHECK(handoverUpto(m.value) == upto);
  });
  return 0;
}
