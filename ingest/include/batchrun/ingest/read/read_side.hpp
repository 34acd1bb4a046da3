#pragma once
// ReadSide: everything the read endpoints need, owned by the ingest App as one member — the run
// view, the batch event log, the SSE hub — with the order they start and stop in. The App calls
// start() after its producer exists, addRoutes() before serving, stopStreams() before its HTTP
// endpoint shuts down and stop() after.
#include <pistache/router.h>

#include <functional>
#include <memory>
#include <string>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/config.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/read/batch_events.hpp"
#include "batchrun/ingest/read/catch_up.hpp"
#include "batchrun/ingest/read/read_pool.hpp"
#include "batchrun/ingest/config/read_side_config.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "batchrun/ingest/read/sse_stream.hpp"

namespace batchrun::ingest {

class ReadSide {
 public:
  explicit ReadSide(ReadSideConfig config = {}, const Clock& clock = SystemClock::instance());
  ~ReadSide();
  // `kafka_reachable`: ingest's probe of the cluster (run reads fail at once while it says no).
  // `poison`: where records the run view cannot take go (kafka/poison.hpp); null: only logged.
  Status start(const KafkaSettings& kafka, std::function<bool()> kafka_reachable = {},
               std::shared_ptr<FollowerHub> hub = nullptr, PoisonRecords* poison = nullptr);
  // `tracker`: reads answered off the HTTP threads count as live in it (read_pool.hpp).
  void addRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, Producer& producer, const KafkaSettings& kafka,
                 SubmissionTracker& tracker);
  void stopStreams();
  void stop();
  // Empty when the view and the event log have caught up with their topics; else why not.
  std::string readiness() const;
  RunView& view() { return view_; }
  // The pool run reads are served from (after addRoutes()).
  ReadPool& reads() { return *reads_; }
  // Where reads that missed wait for the views to catch up (the dialects' reads use it too).
  CatchUp& catchUp() { return catch_up_; }
  size_t openStreams() const { return sse_.openStreams(); }

 private:
  const Clock& clock_;
  RunView view_;
  BatchEvents events_;
  SseHub sse_;  // its thread reads events_
  CatchUp catch_up_;
  std::unique_ptr<ReadPool> reads_;  // last: its threads read view_
};

}  // namespace batchrun::ingest
