#pragma once
// SseHub: the open GET /v1/batches/{id}/events streams. A handler thread only opens the chunked
// response and hands it over; one pump thread does every write after that — replay, live events,
// heartbeats, the final chunk — so a Pistache ResponseStream is never touched by two threads (its
// buffer is not thread-safe in 0.0.5). Before writing, the pump locks the connection's Peer, so a
// connection the client closed is dropped instead of written to.
// Owned by the App; stop() ends every stream and must run before the HTTP endpoint shuts down.
#include <pistache/http.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/ingest/batch_events.hpp"

namespace batchrun::ingest {

struct SseConfig {
  int heartbeat_ms = 15000;  // BATCHRUN_SSE_HEARTBEAT_MS: a comment line keeps idle proxies from closing
  int sweep_ms = 60000;      // how often completed batches' events are checked for retention
};

// One SSE frame: id, event and data lines (a body with newlines becomes several data lines).
std::string formatSseEvent(const SseEvent& event);

class SseHub {
 public:
  SseHub(BatchEvents& events, SseConfig config, const Clock& clock);
  ~SseHub();
  void start();
  void stop();
  // Takes over the response: sends headers, the replay after last_event_id, then live events.
  void open(std::string batch_id, std::string last_event_id, Pistache::Http::ResponseWriter response);
  size_t openStreams() const;

 private:
  struct Stream;
  bool pump(Stream& s, int64_t now);  // false: the stream is over (finished or disconnected)
  void loop();

  BatchEvents& events_;
  SseConfig config_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::thread thread_;  // last: its loop uses everything above
};

}  // namespace batchrun::ingest
