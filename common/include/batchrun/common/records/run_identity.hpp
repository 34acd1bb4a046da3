#pragma once
// Who a run record is about, read from a record that does not decode as a Run (too deep, wrong
// types, cut short): the top-level identity fields the scan met before it failed, plus the lane
// record's `project`/`batch_id` headers. Lets the dispatcher end such a run `failed`
// (invalid_record) instead of leaving it queued forever. Pure; thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace batchrun {

struct RunIdentity {
  std::string run_id;  // a UUID, else the identity is unknown (nullopt below)
  std::string batch_id;
  std::string project;
  std::string workflow_id;
  std::string lane;
  int batch_size = 0;
  int batch_index = 0;
  int64_t created_at = 0;
};

// Scans `record` iteratively (no recursion, any depth, never throws), keeping top-level string and
// integer fields it knows. nullopt unless it found a UUID `run_id` and a project (field or header).
std::optional<RunIdentity> peekRunIdentity(std::string_view record, std::string_view project_header = {},
                                           std::string_view batch_header = {});

}  // namespace batchrun
