#pragma once
// A miss in a view that follows Kafka is not yet a 404. The view lags its topics (≈ 50 ms idle, up
// to ~1 s under load), and what a request names may have been written just before it arrived — by
// this instance's client on another instance behind a load balancer, or by the dispatcher (a run's
// `running` record, which an async result needs). CatchUp asks the view's follower to read up to
// the end offsets its topics have now (TopicFollower::syncThen) and runs the request's second look
// once it has — or, if that takes longer than the deadline, tells it the view is still behind (the
// answer is then a 503 with Retry-After, never a false 404).
//
// Only misses pay: a request that finds what it names answers as before. The second look runs on
// the follower's thread (or the deadline thread) and must not block: it answers from memory or
// hands a Kafka read to the ReadPool. Thread-safe.
#include <pistache/http.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "batchrun/ingest/read/read_pool.hpp"

namespace batchrun::ingest {

class CatchUp {
 public:
  // How a view catches up: calls `done` once everything its topics hold now has been applied.
  using Sync = std::function<void(std::function<void()> done)>;
  // The second look: `synced` is false when the deadline came first (or CatchUp stopped).
  using Then = std::function<void(bool synced)>;

  explicit CatchUp(int timeout_ms);
  ~CatchUp();
  CatchUp(const CatchUp&) = delete;
  CatchUp& operator=(const CatchUp&) = delete;

  // Calls then(true) once `sync` has called back, or then(false) at the deadline — exactly once.
  void after(const Sync& sync, Then then);
  // Every waiting request gets then(false) now; later after() calls get it at once.
  void stop();

  int timeoutMs() const { return timeout_ms_; }
  // Requests waiting for their view (for tests and metrics).
  size_t waiting() const;

 private:
  struct Waiter;
  using Deadlines = std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Waiter>>;
  void timerLoop();

  const int timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Deadlines deadlines_;  // guarded by mu_: the waiters not yet answered, by deadline
  bool stopping_ = false;
  std::thread timer_;  // last: it uses the members above
};

// Which look a read is at: the first (a miss may only mean the view is behind), a second after the
// view caught up (a miss is a 404), or a second at the deadline (still behind: 503, Retry-After).
enum class Look { kFirst, kCaughtUp, kBehind };

// A first-look miss of a read: holds the writer until `sync` reports or the deadline passes, then
// runs again(writer, kCaughtUp | kBehind) on `reads` (which guards a writer whose client has gone);
// `busy` answers if the pool's queue is full. Takes the writer out of `rw`.
void lookAgain(CatchUp& catch_up, ReadPool& reads, const CatchUp::Sync& sync, Pistache::Http::ResponseWriter& rw,
               std::function<void(Pistache::Http::ResponseWriter&, Look)> again,
               std::function<void(Pistache::Http::ResponseWriter&)> busy);

}  // namespace batchrun::ingest
