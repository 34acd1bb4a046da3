#include "batchrun/ingest/kafka/view_follower.hpp"

#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

ViewFollower::ViewFollower(std::string name, KafkaSettings settings, std::vector<std::string> topics,
                           TopicFollower::Handler handler, std::shared_ptr<FollowerHub> hub)
    : name_(std::move(name)),
      settings_(std::move(settings)),
      topics_(std::move(topics)),
      handler_(std::move(handler)),
      hub_(std::move(hub)) {}

ViewFollower::~ViewFollower() { stop(); }

void ViewFollower::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void ViewFollower::loop() {
  while (true) {
    auto follower = TopicFollower::start(settings_, topics_, handler_, 5000, hub_);
    std::unique_lock lock(mu_);
    if (follower) {
      follower_ = std::move(*follower);
      running_ = follower_.get();
      return;
    }
    log::warn("cannot follow topics yet; retrying", {{"view", name_}, {"error", follower.error().message}});
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
  }
}

void ViewFollower::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = nullptr;
  follower_.reset();
}

bool ViewFollower::syncWait(int timeout_ms) const {
  TopicFollower* f = running_.load();
  return f != nullptr && f->syncWait(timeout_ms);
}

bool ViewFollower::caughtUp() const {
  TopicFollower* f = running_.load();
  return f != nullptr && f->caughtUp();
}

}  // namespace batchrun::ingest
