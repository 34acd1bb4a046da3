#pragma once
// Reads whole topics from the beginning and keeps following them, outside any consumer group:
// every instance sees every record. Used for in-process views of compacted topics (runs, workflows,
// webhook endpoints). caughtUp() turns true once every partition has been read to the end it had at
// start — what /readyz waits for. The handler runs on the follower's hub thread.
// syncThen() asks for more than "caught up once": it calls back once everything the topics hold
// at the moment of the call has been handled (a record produced before it, even if the follower is
// behind, has been seen by then).
// Followers of one process should share a FollowerHub (one consumer, one fetch for all of them);
// without one, a follower gets a hub of its own.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "batchrun/common/kafka/follower_barrier.hpp"
#include "batchrun/common/kafka/follower_hub.hpp"
#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

class TopicFollower {
 public:
  using Handler = std::function<void(const Message&)>;
  // Starts following at once; errors if the topics cannot be described within the timeout, or if
  // `hub` already follows one of them.
  static Result<std::unique_ptr<TopicFollower>> start(const KafkaSettings& settings,
                                                      std::vector<std::string> topics, Handler handler,
                                                      int metadata_timeout_ms = 15000,
                                                      std::shared_ptr<FollowerHub> hub = nullptr);
  ~TopicFollower();
  TopicFollower(const TopicFollower&) = delete;
  TopicFollower& operator=(const TopicFollower&) = delete;
  bool caughtUp() const { return caught_up_.load(); }
  // Blocks until caught up or the deadline passes; returns caughtUp().
  bool waitCaughtUp(int timeout_ms) const;
  // Runs `done` on the hub's thread once every record the topics hold now (their end offsets,
  // queried from the broker) has gone through the handler. Thread-safe; `done` must not block.
  // Requests made while the broker cannot be asked wait until it can; after stop() they never run.
  void syncThen(std::function<void()> done);
  // syncThen, waited for: true once the view holds every record the topics held at the call, false
  // if that took longer than timeout_ms (then the request still completes later, harmlessly). For
  // the rare request that names what the view does not hold: a miss is an answer only after this.
  bool syncWait(int timeout_ms);
  // After it returns, the handler is not called again.
  void stop();

 private:
  friend class FollowerHub;
  TopicFollower(std::shared_ptr<FollowerHub> hub, Handler handler, std::vector<FollowerBarriers::Partition> partitions);
  // The hub's thread only:
  void onRecord(const Message& m);
  void onPartitionEnd(const Message& m);
  // False when the end offsets could not be read and the requests wait for another try.
  bool serveSyncRequests(rd_kafka_t* rk);
  // Asks for the follower's topics' metadata on rk, so its next query goes to the current leaders.
  void refreshLeaders(rd_kafka_t* rk);

  std::shared_ptr<FollowerHub> hub_;
  Handler handler_;
  const std::vector<FollowerBarriers::Partition> partitions_;
  int remaining_;  // partitions not yet read to their end
  std::vector<FollowerBarriers::Partition> ended_;  // partitions read to their end at least once
  FollowerBarriers barriers_;
  // The last end-offset query's error (logged when it changes); NO_ERROR when it succeeded.
  rd_kafka_resp_err_t sync_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::mutex sync_mu_;
  std::vector<std::function<void()>> sync_requests_;  // guarded by sync_mu_
  std::atomic<bool> caught_up_{false};
  bool attached_ = false;  // set by start, cleared by stop (the owner's thread)
};

}  // namespace batchrun
