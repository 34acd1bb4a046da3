#pragma once
// Keeps trying to start a TopicFollower until the topics can be described, so ingest starts (and
// answers /healthz, and 503s) while Kafka is down instead of refusing to start. Owned by App;
// caughtUp() is safe from any thread; the handler runs on the hub's thread.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"

namespace batchrun::ingest {

class ViewFollower {
 public:
  ViewFollower(std::string name, KafkaSettings settings, std::vector<std::string> topics,
               TopicFollower::Handler handler, std::shared_ptr<FollowerHub> hub = nullptr);
  ~ViewFollower();
  ViewFollower(const ViewFollower&) = delete;
  ViewFollower& operator=(const ViewFollower&) = delete;

  void start();
  void stop();
  // True once the follower runs and has read every partition to the end it had at its start.
  bool caughtUp() const;
  // Blocks until the view has applied every record its topics hold now (TopicFollower::syncThen),
  // at most timeout_ms; false if it did not in time or does not follow yet. For the rare request
  // that names what the view does not hold: a miss is a 404 only after this (see read/catch_up.hpp).
  bool syncWait(int timeout_ms) const;
  const std::string& name() const { return name_; }

 private:
  void loop();

  std::string name_;
  KafkaSettings settings_;
  std::vector<std::string> topics_;
  TopicFollower::Handler handler_;
  std::shared_ptr<FollowerHub> hub_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unique_ptr<TopicFollower> follower_;     // set once by loop(), then only read
  std::atomic<TopicFollower*> running_{nullptr};
  std::thread thread_;  // last: loop() uses the members above
};

}  // namespace batchrun::ingest
