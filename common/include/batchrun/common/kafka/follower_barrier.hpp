#pragma once
// "Tell me once you have read everything that was in these partitions when I asked": the barriers
// behind TopicFollower::syncThen. A barrier holds an end offset per partition (the high watermarks
// queried at request time) and opens once the follower's read position reached every one of them.
// Kept apart from Kafka so the logic can be tested alone. Not thread-safe: the follower's thread
// owns it; callbacks run on that thread, from add() or advance().
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace batchrun {

class FollowerBarriers {
 public:
  using Partition = std::pair<std::string, int32_t>;  // topic, partition
  using Callback = std::function<void()>;

  // The follower has read `partition` of `topic` up to, not including, next_offset (a record's
  // offset + 1, or the offset a partition-EOF reports). Positions only move forward. Called for
  // every record a follower reads, so it allocates nothing once a partition has been seen.
  void advance(std::string_view topic, int32_t partition, int64_t next_offset);
  // Runs every callback of `done` once each partition of `ends` has been read up to its end
  // offset: at once if that is already so.
  void add(std::map<Partition, int64_t> ends, std::vector<Callback> done);
  size_t open() const { return barriers_.size(); }

 private:
  struct Barrier {
    std::map<Partition, int64_t> ends;
    std::vector<Callback> done;
  };
  struct TopicPositions {
    std::string topic;
    std::vector<int64_t> next;  // by partition id
  };
  int64_t position(const Partition& tp) const;
  bool reached(const Barrier& b) const;
  void fireReached();

  std::vector<TopicPositions> positions_;  // a follower reads a handful of topics: a list is fastest
  std::vector<Barrier> barriers_;
};

}  // namespace batchrun
