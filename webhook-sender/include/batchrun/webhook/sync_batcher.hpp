#pragma once
// Holds items (runs.events records) until a sync requested *after* they arrived has completed: the
// EventConsumer routes an event only once the EndpointView has read webhooks.endpoints up to the
// end offsets it had after the event was read — so an endpoint created (or deleted, disabled)
// before the event was produced is seen, whatever the view's lag, with no clock compared.
//
// One sync is in flight at a time, and a new one starts at most once per interval: every item that
// arrives meanwhile waits for the next one. Under load that is one end-offset query per interval
// for any number of events; an idle consumer's event waits for one sync.
//
// Owned by one thread (add, take, waiting); synced() may be called from any thread, also from
// inside the RequestSync call, and after the batcher is gone (the callback holds shared state).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace batchrun::webhook {

template <typename T>
class SyncBatcher {
 public:
  // A sync completion: call it once the view has read everything the topic held when asked.
  using Done = std::function<void()>;
  // Starts a sync; calls `done` when it completed (on any thread, possibly at once).
  using RequestSync = std::function<void(Done done)>;

  SyncBatcher(RequestSync request, int64_t interval_ms, std::function<void()> wake = {})
      : request_(std::move(request)), interval_ms_(interval_ms), state_(std::make_shared<State>()) {
    state_->wake = std::move(wake);
  }

  void add(T item) { unsynced_.push_back(std::move(item)); }

  // The items whose sync completed, in arrival order; starts the next sync if items wait, none is
  // in flight and the interval since the last one has passed.
  std::vector<T> take(int64_t now_ms) {
    std::vector<T> out;
    if (in_flight_ && state_->done.load() >= asked_) {
      in_flight_ = false;
      out.swap(syncing_);
    }
    if (!in_flight_ && !unsynced_.empty() && now_ms >= last_request_ms_ + interval_ms_) {
      syncing_.swap(unsynced_);
      in_flight_ = true;
      last_request_ms_ = now_ms;
      uint64_t generation = ++asked_;
      request_([state = state_, generation] {
        uint64_t seen = state->done.load();
        while (seen < generation && !state->done.compare_exchange_weak(seen, generation)) {
        }
        std::lock_guard lock(state->mu);
        if (state->wake) state->wake();
      });
    }
    return out;
  }

  // Items read and not yet handed out.
  size_t waiting() const { return unsynced_.size() + syncing_.size(); }
  // How long the owner may sleep before take() could start a sync (0: now or never mind).
  int64_t msUntilNextRequest(int64_t now_ms) const {
    if (in_flight_ || unsynced_.empty()) return INT64_MAX;
    return last_request_ms_ + interval_ms_ > now_ms ? last_request_ms_ + interval_ms_ - now_ms : 0;
  }
  // Forgets what waits (the owner stops; their offsets were never stored).
  void clear() {
    unsynced_.clear();
    syncing_.clear();
  }
  // After this, a late completion no longer calls `wake` (its target may be gone).
  void detach() {
    std::lock_guard lock(state_->mu);
    state_->wake = {};
  }

 private:
  struct State {
    std::atomic<uint64_t> done{0};
    std::mutex mu;
    std::function<void()> wake;  // guarded by mu; cleared by detach()
  };

  RequestSync request_;
  int64_t interval_ms_;
  std::shared_ptr<State> state_;
  std::vector<T> unsynced_;  // arrived since the sync in flight was requested
  std::vector<T> syncing_;   // wait for the sync in flight
  bool in_flight_ = false;
  uint64_t asked_ = 0;
  int64_t last_request_ms_ = INT64_MIN / 2;
};

}  // namespace batchrun::webhook
