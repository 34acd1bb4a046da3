#pragma once
// Out-of-order completion → in-order commits, per partition. A consumed record is added with the
// number of things that must settle before it counts as done (deliveries of an event, or 1); the
// committable offset only moves past a record once it and every record before it are done, so a
// restart never skips work that was not finished. Not thread-safe: owned by one consumer thread.
#include <cstdint>
#include <map>
#include <optional>

#include "batchrun/common/kafka/consumer.hpp"

namespace batchrun::webhook {

class OffsetTracker {
 public:
  // Starts tracking a partition (on assignment); forgets any earlier state for it.
  void reset(const TopicPartition& tp);
  void drop(const TopicPartition& tp);
  bool tracks(const TopicPartition& tp) const { return parts_.count(tp) != 0; }
  // A record read at `offset` with `outstanding` settlements to wait for (0: done already).
  void add(const TopicPartition& tp, int64_t offset, int outstanding);
  // One settlement of the record at `offset`. Returns the new committable next offset when it moved.
  std::optional<int64_t> settle(const TopicPartition& tp, int64_t offset);
  // The committable next offset right after add() of a done record, if it moved.
  std::optional<int64_t> advance(const TopicPartition& tp);
  // Records read and not yet done, over every partition.
  int64_t pending() const { return pending_; }

 private:
  struct Partition {
    std::map<int64_t, int> outstanding;  // offset → settlements still expected
    int64_t committed_next = -1;         // last value returned
  };
  std::optional<int64_t> advanceLocked(Partition& p);
  std::map<TopicPartition, Partition> parts_;
  int64_t pending_ = 0;
};

}  // namespace batchrun::webhook
