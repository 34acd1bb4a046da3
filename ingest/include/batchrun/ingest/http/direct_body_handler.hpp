#pragma once
// Ingest's Pistache handler: the router's handler, with request framing, bodies, timeouts and the
// connection limit in ingest's own hands.
//
// Bodies, the fast way: Pistache 0.0.5 (the Debian package) hands a connection's bytes to its
// parser 4 KiB at a time and the parser appends them a byte at a time to a buffer that starts
// empty for every request, then copies the body out of it: for 1,000-item batches that was
// ≈ 1.4 µs per item, a fifth of ingest's CPU (docs/performance.md). This handler leaves the
// request line, the headers, routing and the answer to Pistache and reads bodies itself: what the
// current chunk holds is copied once, the rest of a Content-Length body is received straight from
// the socket into a buffer the connection keeps, as many bytes per read as the socket has; chunked
// bodies are decoded here too (http_framing.hpp). Pipelined requests are served in order, and
// `Expect: 100-continue` is answered (Pistache 0.0.5 does not; curl waited a second before every
// large body) — after the size check, so an over-size body gets its 413 instead.
//
// Framing that cannot be desynchronised: where a body ends is decided by checkFraming()
// (http_framing.hpp) before Pistache parses the head. After any framing error — malformed head or
// header line, bad/duplicate/signed/huge Content-Length, Content-Length with Transfer-Encoding, a
// bad chunk, a head over 64 KiB (431), a declared body over the limit (413), an unknown method —
// the connection gets one JSON answer with `Connection: close`, is half-closed once that answer is
// written, and every byte it sends after is dropped: nothing left over is read as a request.
//
// Timeouts and limits (EdgeLimits; checked by tick(), which EdgeServer's transport calls on each
// reactor thread a few times a second): the head of a request must arrive within head_timeout of
// its first byte (of the accept, for a connection's first request), a body within body_timeout
// of its head; a connection idle between requests is closed after idle_timeout. A request being
// answered (a Kafka acknowledgement, an SSE stream) has no deadline here. A connection over
// max_connections, or whose descriptor is within reserve_fds of RLIMIT_NOFILE, is answered 503
// and closed at once.
//
// One instance per Pistache reactor thread (Pistache clones it); a connection's state lives in its
// Peer and is touched only by that reactor thread. Counters shared by the clones are atomics.
#include <pistache/router.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace batchrun::ingest {

struct EdgeLimits {
  uint64_t max_body = 16 * 1024 * 1024;  // a declared body over this is a 413 (and the connection closes)
  std::chrono::milliseconds head_timeout{30000};   // BATCHRUN_INGEST_HEAD_TIMEOUT_MS
  std::chrono::milliseconds body_timeout{120000};  // BATCHRUN_INGEST_BODY_TIMEOUT_MS
  std::chrono::milliseconds idle_timeout{75000};   // BATCHRUN_INGEST_IDLE_TIMEOUT_MS
  size_t max_connections = 10000;                  // BATCHRUN_INGEST_MAX_CONNECTIONS
  // A connection whose descriptor is within this many of the soft RLIMIT_NOFILE (read as each
  // connection arrives) is refused: descriptors stay free for everything else, and accept() never
  // meets EMFILE.
  int reserve_fds = 256;
  size_t kept_budget = size_t{64} << 20;  // body buffers all connections together keep between requests
};

// Why the edge answered or closed a connection by itself (for metrics).
enum class EdgeEvent { kTooLarge, kMalformed, kTimedOut, kIdleClosed, kRefused };

class DirectBodyHandler : public Pistache::Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(DirectBodyHandler)

  using Observer = std::function<void(EdgeEvent)>;

  DirectBodyHandler(const Pistache::Rest::Router& routes, EdgeLimits limits, Observer observer = {});

  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  // Called on the peer's reactor thread: answers a request that ran out of time (408) and says
  // whether the connection is to be closed now (idle, refused or answered and given its grace).
  bool tick(const std::shared_ptr<Pistache::Tcp::Peer>& peer, std::chrono::steady_clock::time_point now);

  struct Connection;  // per-peer state (direct_body_handler.cpp)
  // Bytes of body buffers kept between requests, over all connections (for tests and metrics).
  size_t keptBytes() const { return shared_->kept.load(); }
  // Connections open now, over all reactor threads (refused ones until they are closed).
  size_t openConnections() const { return shared_->open.load(); }

 private:
  struct Shared {
    std::atomic<size_t> kept{0};
    std::atomic<size_t> open{0};
  };

  void serve(Connection& conn, const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  // The head (request line + headers) is complete: the request is served, or its body is next.
  void headDone(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void dispatch(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, bool with_body);
  // `Expect: 100-continue` (curl sends it with bodies over 1 MiB, then waits a second for it):
  // the interim answer, so the body comes at once.
  void maybeContinue(const Pistache::Http::Request& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  Pistache::Http::ResponseWriter writerFor(const Pistache::Http::Request& request,
                                           const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  // One JSON error with `Connection: close`; the connection is half-closed once it is written and
  // reads nothing more.
  void answerAndClose(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, int status,
                      const std::string& code, const std::string& message, EdgeEvent why);
  void note(EdgeEvent why) const {
    if (observer_) observer_(why);
  }

  EdgeLimits limits_;
  Observer observer_;
  // Shared by Pistache's per-thread clones of this handler and by every connection's state.
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace batchrun::ingest
