#pragma once
// Runs callbacks at a later time on one thread of its own, so a sleeping run never holds a Pistache
// reactor thread. Thread-safe; stop() drops what has not run yet (destroying those callbacks while
// the caller's resources, e.g. the HTTP endpoint, are still alive).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace batchrun::demo_worker {

class Timer {
 public:
  Timer();
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  void stop();

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> due_;
  bool stopping_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace batchrun::demo_worker
