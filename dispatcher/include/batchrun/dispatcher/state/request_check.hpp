#pragma once
// What a lane record must hold before the dispatcher schedules it. decodeRun is lenient (a field
// of the wrong type keeps its default), so a record that decodes can still name no run, carry a
// priority or attempt count no ingest would accept, or a timeout whose deadline overflows. Such a
// record is a poison record: its run ends `failed` (invalid_record). Pure; thread-safe.
#include <string>

#include "batchrun/common/records/run.hpp"

namespace batchrun::dispatcher {

// The same bounds ingest enforces on what it accepts (docs/api.md).
inline constexpr int kMaxRequestAttempts = 100;
inline constexpr int kMaxRequestTimeoutSeconds = 7 * 24 * 3600;

// Empty when the decoded request can be scheduled, else what is wrong with it (names the field).
std::string requestProblem(const Run& run);

}  // namespace batchrun::dispatcher
