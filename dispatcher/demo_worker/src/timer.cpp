#include "batchrun/demo_worker/timer.hpp"

#include <vector>

namespace batchrun::demo_worker {

Timer::Timer() : thread_([this] { loop(); }) {}

Timer::~Timer() { stop(); }

void Timer::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    due_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
  }
  cv_.notify_one();
}

void Timer::stop() {
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    dropped.swap(due_);
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Timer::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = due_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      cv_.wait_until(lock, first);
      continue;
    }
    // Run everything due, outside the lock, so callbacks may schedule more.
    std::vector<std::function<void()>> ready;
    auto now = std::chrono::steady_clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      ready.push_back(std::move(due_.begin()->second));
      due_.erase(due_.begin());
    }
    lock.unlock();
    for (auto& fn : ready) fn();
    lock.lock();
  }
}

}  // namespace batchrun::demo_worker
