#pragma once
// Counts distinct terminal runs per batch from `batches.progress` records and says which batches
// are complete and not yet announced. Done markers (batch.completed already produced) retire a
// batch, so replaying the topic after a restart announces nothing twice. Bounded by time like the
// topic (7 days): a batch with no progress record for that long is forgotten, as a restart would
// not see its records either, and retired ids are remembered for half that (late duplicates come
// within minutes). Pure; not thread-safe.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batchrun/common/records/events.hpp"
#include "batchrun/dispatcher/batches/batch_progress.hpp"

namespace batchrun::dispatcher {

class BatchCounter {
 public:
  explicit BatchCounter(int64_t forget_ms = 7LL * 24 * 3600 * 1000) : forget_ms_(forget_ms) {}
  void apply(const BatchProgress& p);
  // Complete batches not yet announced; each is returned once (then awaits its done marker). Also
  // forgets what is past forget_ms (every half of it).
  std::vector<BatchSummary> takeCompleted(int64_t now_ms);
  // Announcing failed: offer the batch again on the next takeCompleted().
  void retryLater(const std::string& batch_id);
  void clear();
  size_t open() const { return batches_.size(); }

 private:
  struct Batch {
    std::string project;
    int size = 0;
    int64_t created_at = 0;
    std::unordered_set<std::string> runs;
    std::map<std::string, int> counts;
    bool announced = false;
    uint64_t touched = 0;  // the generation of its last record
  };
  void rotate(int64_t now_ms);

  int64_t forget_ms_;
  int64_t rotated_at_ = -1;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, Batch> batches_;
  std::unordered_set<std::string> complete_;  // ids of complete, unannounced batches
  std::unordered_set<std::string> retired_, retired_old_;  // done marker seen: late duplicates are ignored
};

}  // namespace batchrun::dispatcher
