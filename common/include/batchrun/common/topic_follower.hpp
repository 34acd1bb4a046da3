#pragma once
// Reads whole topics from the beginning and keeps following them, outside any consumer group:
// every instance sees every record. Used for in-process views of compacted topics (runs, workflows,
// webhook endpoints). caughtUp() turns true once every partition has been read to the end it had at
// start — what /readyz waits for. The handler runs on the follower's own thread.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/kafka_message.hpp"
#include "batchrun/common/kafka_settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

class TopicFollower {
 public:
  using Handler = std::function<void(const Message&)>;
  // Starts following at once; errors if the topics cannot be described within the timeout.
  static Result<std::unique_ptr<TopicFollower>> start(const KafkaSettings& settings,
                                                      std::vector<std::string> topics, Handler handler,
                                                      int metadata_timeout_ms = 15000);
  ~TopicFollower();
  bool caughtUp() const { return caught_up_.load(); }
  // Blocks until caught up or the deadline passes; returns caughtUp().
  bool waitCaughtUp(int timeout_ms) const;
  void stop();

 private:
  TopicFollower(rd_kafka_t* rk, Handler handler, int partitions);
  void loop();

  rd_kafka_t* rk_;
  Handler handler_;
  int remaining_;  // partitions not yet read to their end; only the loop thread touches it
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: its loop uses everything above
};

}  // namespace batchrun
