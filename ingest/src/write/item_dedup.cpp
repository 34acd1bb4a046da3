#include "batchrun/ingest/write/item_dedup.hpp"

#include <algorithm>

namespace batchrun::ingest {

std::vector<bool> markExisting(std::vector<Run>& runs, const std::vector<bool>& candidates, const RunLookup& lookup) {
  std::vector<bool> found(runs.size(), false);
  if (!lookup) return found;
  for (size_t i = 0; i < runs.size() && i < candidates.size(); ++i) {
    if (!candidates[i]) continue;
    auto existing = lookup(runs[i].project, runs[i].run_id);
    if (!existing) continue;
    runs[i].created_at = existing->created_at;
    runs[i].status = existing->status;
    found[i] = true;
  }
  return found;
}

std::vector<Run> takeNew(std::vector<Run>& runs, const std::vector<bool>& deduplicated) {
  // The usual request has no per-item key that matched: hand the vector over whole.
  if (std::find(deduplicated.begin(), deduplicated.end(), true) == deduplicated.end()) return std::move(runs);
  std::vector<Run> out;
  out.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i < deduplicated.size() && deduplicated[i]) continue;
    out.push_back(std::move(runs[i]));
  }
  for (Run& r : out) {
    if (r.batch_size > 0) r.batch_size = static_cast<int>(out.size());
  }
  runs.clear();
  return out;
}

std::vector<int> indexesOf(const std::vector<bool>& flags) {
  std::vector<int> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<bool> flagsOf(const std::vector<int>& indexes, size_t n) {
  std::vector<bool> out(n, false);
  for (int i : indexes) {
    if (i >= 0 && static_cast<size_t>(i) < n) out[static_cast<size_t>(i)] = true;
  }
  return out;
}

}  // namespace batchrun::ingest
