#pragma once
// Out-of-order completion for one partition: records are taken in offset order but their work
// finishes in any order, and only the prefix that is entirely done may be committed (the next
// offset to read after a restart is the lowest one still pending). Not thread-safe.
#include <cstdint>
#include <optional>
#include <set>

namespace batchrun::dispatcher {

class OffsetTracker {
 public:
  // A record was read; its work is now pending. Re-adding a pending offset is a no-op.
  void add(int64_t offset);
  // Its work is done (or it needed none).
  void done(int64_t offset);
  // The offset to commit (next to read) if it moved since the last call, else nullopt.
  std::optional<int64_t> advance();
  // The committable offset now (-1 if nothing was read).
  int64_t committable() const;
  size_t pending() const { return pending_.size(); }

 private:
  std::set<int64_t> pending_;
  int64_t next_ = -1;       // highest offset read + 1
  int64_t committed_ = -1;  // last value advance() returned
};

}  // namespace batchrun::dispatcher
