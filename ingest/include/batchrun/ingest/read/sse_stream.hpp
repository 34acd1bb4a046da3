#pragma once
// SseHub: the open GET /v1/batches/{id}/events streams. A handler thread only hands the connection
// over; one pump thread does every write after that — headers, replay, live events, heartbeats,
// the final chunk — with HTTP/1.1 chunked framing of its own.
//
// Why not Pistache's ResponseStream: in Pistache 0.0.5 writes queued from a thread other than the
// connection's reactor race with the reactor's write bookkeeping ("Assertion Error: could not
// find write data" aborts the process — seen in read_sse_test with a dozen streams), and the
// reactor closes a disconnected peer's fd while another thread may still write to that number.
// So each stream writes to its own dup() of the connection's socket, non-blocking, from the pump
// thread only: Pistache never writes to the connection while the stream is open (the handler
// sends nothing), a client that leaves makes send() fail or the Peer expire, and a closed Pistache
// fd can never be reused under us. After the final chunk the connection goes back to Pistache
// for keep-alive.
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
#include "batchrun/ingest/read/batch_events.hpp"

namespace batchrun::ingest {

struct SseConfig {
  int heartbeat_ms = 15000;  // BATCHRUN_SSE_HEARTBEAT_MS: a comment line keeps idle proxies from closing
  int sweep_ms = 60000;      // how often completed batches' events are checked for retention
  size_t max_pending_bytes = 8 << 20;  // a client this far behind is disconnected (it can resume)
};

// One SSE frame: id, event and data lines (a body with newlines becomes several data lines).
std::string formatSseEvent(const SseEvent& event);

class SseHub {
 public:
  SseHub(BatchEvents& events, SseConfig config, const Clock& clock);
  ~SseHub();
  void start();
  void stop();
  // Takes over the connection: headers, the replay after last_event_id, then live events.
  // Answers 503 itself if the connection cannot be taken over.
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
