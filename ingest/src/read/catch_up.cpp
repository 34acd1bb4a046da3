#include "batchrun/ingest/read/catch_up.hpp"

#include <atomic>
#include <vector>

namespace batchrun::ingest {

// One waiting request. `fired` makes the sync callback and the deadline race safely: whichever
// exchanges it first calls `then`; the other does nothing.
struct CatchUp::Waiter {
  Then then;
  std::atomic<bool> fired{false};
  Deadlines::iterator at;  // guarded by CatchUp::mu_, valid while queued
  bool queued = false;     // guarded by CatchUp::mu_
  bool fire(bool synced) {
    if (fired.exchange(true)) return false;
    then(synced);
    then = nullptr;  // releases what the request captured (its ResponseWriter) as soon as answered
    return true;
  }
};

CatchUp::CatchUp(int timeout_ms) : timeout_ms_(timeout_ms), timer_([this] { timerLoop(); }) {}

CatchUp::~CatchUp() { stop(); }

void CatchUp::after(const Sync& sync, Then then) {
  auto waiter = std::make_shared<Waiter>();
  waiter->then = std::move(then);
  {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      waiter->fire(false);
      return;
    }
    waiter->at = deadlines_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_), waiter);
    waiter->queued = true;
  }
  cv_.notify_one();
  // The follower keeps `done` until its sync is served, which may be after the deadline: it holds
  // the waiter only weakly, so an answered request is not kept alive by a slow sync.
  std::weak_ptr<Waiter> weak = waiter;
  sync([this, weak] {
    auto w = weak.lock();
    if (!w || !w->fire(true)) return;
    std::lock_guard lock(mu_);
    if (w->queued) {
      w->queued = false;
      deadlines_.erase(w->at);
    }
  });
}

void CatchUp::timerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = deadlines_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      cv_.wait_until(lock, first);
      continue;
    }
    auto waiter = deadlines_.begin()->second;
    waiter->queued = false;
    deadlines_.erase(deadlines_.begin());
    lock.unlock();
    waiter->fire(false);
    lock.lock();
  }
}

void CatchUp::stop() {
  std::vector<std::shared_ptr<Waiter>> pending;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [at, w] : deadlines_) {
      w->queued = false;
      pending.push_back(w);
    }
    deadlines_.clear();
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : pending) w->fire(false);
}

void lookAgain(CatchUp& catch_up, ReadPool& reads, const CatchUp::Sync& sync, Pistache::Http::ResponseWriter& rw,
               std::function<void(Pistache::Http::ResponseWriter&, Look)> again,
               std::function<void(Pistache::Http::ResponseWriter&)> busy) {
  // std::function needs a copyable callable; the writer is moved through a shared holder.
  auto held = std::make_shared<Pistache::Http::ResponseWriter>(std::move(rw));
  catch_up.after(sync, [held, &reads, again = std::move(again), busy = std::move(busy)](bool synced) {
    const Look look = synced ? Look::kCaughtUp : Look::kBehind;
    auto back = reads.run(std::move(*held), [again, look](Pistache::Http::ResponseWriter& w) { again(w, look); });
    if (back) busy(*back);
  });
}

size_t CatchUp::waiting() const {
  std::lock_guard lock(mu_);
  return deadlines_.size();
}

}  // namespace batchrun::ingest
