#pragma once
// One Kafka consumer that several TopicFollowers share. Each consumer costs the broker a fetch every
// fetch.wait.max.ms even when nothing is written: ingest's five followers, each with its own
// consumer, cost an idle single-node broker ≈ 5 % of a core, and its answers woke five sets of
// librdkafka threads in ingest (docs/performance.md, "eighth session"). On one hub they cost one
// fetch. Every follower keeps its own handler, caught-up state and sync barriers; the hub's one
// thread runs all their handlers, so a handler must be quick (they all update in-memory views), and
// followers catching up after a start read one after the other rather than side by side.
// A topic can be followed by one follower per hub. The hub lives as long as a follower uses it.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "batchrun/common/kafka/follower_barrier.hpp"
#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

class TopicFollower;

class FollowerHub {
 public:
  static Result<std::shared_ptr<FollowerHub>> create(const KafkaSettings& settings);
  ~FollowerHub();
  FollowerHub(const FollowerHub&) = delete;
  FollowerHub& operator=(const FollowerHub&) = delete;

 private:
  friend class TopicFollower;
  FollowerHub(rd_kafka_t* rk, rd_kafka_t* query_rk);
  // Every partition of `topics`, from the broker's metadata.
  Result<std::vector<FollowerBarriers::Partition>> describe(const std::vector<std::string>& topics,
                                                             int timeout_ms);
  // Starts reading the follower's partitions from their beginning; returns once the hub's thread
  // delivers to it. Errors if one of its topics is already followed here.
  Status attach(TopicFollower* follower);
  // Returns once the hub's thread has stopped reading for the follower and will not call it again.
  void detach(TopicFollower* follower);
  // Runs `op` on the hub's thread (at once when called from it) and waits for it.
  void onLoop(const std::function<void()>& op);
  void wake() const { rd_kafka_queue_yield(queue_); }
  // A follower has a sync request: the loop asks for end offsets on its next turn.
  void syncRequested() {
    syncs_waiting_ = true;
    wake();
  }
  void loop();
  void runOps();
  void dispatch(const Message& m);

  rd_kafka_t* rk_;
  // Asks the end offsets for sync requests and never fetches: on rk_ such a request waits behind
  // the long-poll fetch in flight on the same broker connection (fetch.wait.max.ms), once per
  // request — ≈ 300 ms for six partitions asked one by one, 0.5 ms here.
  rd_kafka_t* query_rk_;
  rd_kafka_queue_t* queue_;  // the consumer queue: yielding it wakes the loop's poll
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::vector<std::function<void()>> ops_;  // guarded by mu_
  uint64_t ops_posted_ = 0, ops_run_ = 0;   // guarded by mu_
  std::map<std::string, TopicFollower*, std::less<>> by_topic_;  // hub thread only
  std::vector<TopicFollower*> followers_;                        // hub thread only
  bool read_error_logged_ = false;                               // hub thread only
  // Set by syncRequested; lets the loop skip every follower's sync queue on the turns (one per
  // record) when nobody asked.
  std::atomic<bool> syncs_waiting_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: its loop uses everything above
};

}  // namespace batchrun
