#pragma once
// Ingest's in-memory copy of the compacted `workflows` topic (key "project/workflow_id", value
// encodeWorkflow, tombstone = deleted), fed by a ViewFollower and by ingest's own writes
// (read-your-writes). Records are ordered by their offset in the key's partition, so a follower
// replaying an older record never undoes a newer local write. Thread-safe (shared mutex).
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "batchrun/common/records/workflow.hpp"

namespace batchrun::ingest {

class WorkflowView {
 public:
  // value empty = tombstone. Returns false for an undecodable record (ignored).
  bool apply(std::string_view key, std::string_view value, int64_t offset);
  std::optional<Workflow> get(std::string_view project, std::string_view workflow_id) const;
  size_t size() const;

 private:
  struct Entry {
    std::optional<Workflow> workflow;  // nullopt: deleted
    int64_t offset = -1;
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace batchrun::ingest
