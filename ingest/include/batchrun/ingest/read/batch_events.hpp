#pragma once
// BatchEvents: the events of every batch, read by a TopicFollower over runs.events (from the
// beginning, so a restarted ingest can replay a batch), kept per batch in read order — which is
// per-run order, since a run's events share its key and so its partition. The batch is told by
// the batchrun_batch_id header, so only batch.completed bodies are ever parsed.
//
// batch.completed is keyed by batch id and may be read before the last run events (another
// partition); it is held back until every run of the batch has a terminal event here, or a grace
// period has passed, so it is always the last event a stream sends.
// Memory: event bodies of a batch are dropped `retain_ms` after its batch.completed was read;
// a stream of such a batch then replays only batch.completed (see docs/performance.md); a batch
// with no event for runs.events' retention (7 days) is forgotten whole.
// Thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"

namespace batchrun {
class PoisonRecords;
}

namespace batchrun::ingest {

struct SseEvent {
  std::string id;    // ce_id
  std::string type;  // ce_type
  std::string body;  // the webhook body
};
using SseEventPtr = std::shared_ptr<const SseEvent>;

struct BatchEventsConfig {
  int64_t retain_ms = 3'600'000;       // BATCHRUN_SSE_RETAIN_S: keep a completed batch's events this long
  int64_t completion_grace_ms = 5'000; // send batch.completed at the latest this long after reading it
  // runs.events' retention: a batch with no event for this long is forgotten whole, as a restarted
  // ingest (which reads only what the topic still holds) would not know it either.
  int64_t forget_ms = 7LL * 24 * 3600 * 1000;
};

class BatchEvents {
 public:
  BatchEvents(BatchEventsConfig config, const Clock& clock);
  ~BatchEvents();

  // A record that is not an event (no ce_id/ce_type headers, a value that is not a JSON object) is
  // a poison record: reported to `poison` (when given) and skipped, never streamed to clients.
  Status follow(const KafkaSettings& settings, std::shared_ptr<FollowerHub> hub = nullptr,
                PoisonRecords* poison = nullptr);
  bool caughtUp() const;
  // Calls `done` on the follower's thread once every event runs.events holds now has been stored.
  void syncThen(std::function<void()> done) const {
    if (follower_) follower_->syncThen(std::move(done)); else done();
  }
  void stop();
  // Called (on the follower thread) after new events were stored: wakes the SSE pump.
  void setListener(std::function<void()> listener);

  // One runs.events record of a batch (what the follower feeds; public for tests). record_ms is the
  // record's timestamp: retention and the completion grace count from it, so a restart that reads
  // old batches back does not hold their bodies again for a full retention period.
  // `project` is the record's project header (needed for batch.completed only).
  void apply(std::string_view batch_id, std::string_view run_id, std::string id, std::string type,
             std::string body, int64_t record_ms, std::string_view project = {});

  // A batch of `project` whose batch.completed says it has no runs (total 0): every item of it
  // named an existing run, so ingest wrote only that event and the run view has nothing of it.
  struct Completed {
    int total = 0;
    int64_t created_at = 0;    // unix ms, 0 if not given
    int64_t completed_at = 0;
  };
  std::optional<Completed> emptyBatch(std::string_view project, std::string_view batch_id) const;

  struct Slice {
    std::vector<SseEventPtr> events;
    size_t next = 0;        // position to read from next time
    bool finished = false;  // events ends with batch.completed: nothing follows
  };
  // Events of a batch from position `from` (positions count every run event ever stored).
  Slice read(std::string_view batch_id, size_t from) const;
  // Where a stream resuming after `event_id` starts; nullopt when that id was batch.completed
  // (the stream is already complete). Unknown ids replay from the start.
  std::optional<size_t> positionAfter(std::string_view batch_id, std::string_view event_id) const;
  // Drops the bodies of batches completed more than retain_ms ago, and batches with no event for
  // forget_ms.
  void sweep();

 private:
  struct Log {
    size_t base = 0;  // events before this position were dropped (retention)
    std::vector<SseEventPtr> events;
    std::unordered_set<std::string> ids;            // to drop re-recorded duplicates
    std::unordered_set<std::string> terminal_runs;  // runs with a terminal event
    SseEventPtr completed;
    int total = -1;  // from batch.completed
    int64_t completed_seen_ms = 0;
    int64_t last_ms = 0;  // the latest record's timestamp
    std::string project;  // of batch.completed
    int64_t created_at = 0, completed_at = 0;  // from batch.completed
  };
  bool releasable(const Log& log) const;

  BatchEventsConfig config_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Log> batches_;
  std::function<void()> listener_;
  std::unique_ptr<TopicFollower> follower_;  // last: its thread calls apply()
};

}  // namespace batchrun::ingest
