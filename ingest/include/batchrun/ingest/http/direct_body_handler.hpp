#pragma once
// Ingest's Pistache handler: the router's handler, with request bodies read the fast way.
//
// Pistache 0.0.5 (the Debian package) hands a connection's bytes to its parser 4 KiB at a time and
// the parser appends them a byte at a time to a buffer that starts empty for every request, then
// copies the body out of it: for 1,000-item batches that was ≈ 1.4 µs per item, a fifth of ingest's
// CPU (docs/performance.md). This handler leaves the request line, the headers, routing and the
// answer to Pistache and reads a Content-Length body itself: what the current chunk holds is
// copied once, the rest is received straight from the socket into a buffer the connection keeps,
// as many bytes per read as the socket has. Pipelined requests are served in order (Pistache's own
// path drops bytes after a request's end), and `Expect: 100-continue` is answered (Pistache 0.0.5
// does not, so curl waited a second before every large body). Chunked bodies still go through
// Pistache's parser.
//
// A body declared larger than max_body is answered by on_too_large at once and its bytes are read
// and dropped, so the connection stays usable. One instance per Pistache reactor thread (Pistache
// clones it); a connection's state lives in its Peer, touched only by that reactor thread.
#include <pistache/router.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace batchrun::ingest {

class DirectBodyHandler : public Pistache::Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(DirectBodyHandler)

  using TooLarge = std::function<void(Pistache::Http::ResponseWriter&, uint64_t content_length)>;

  // kept_budget: what all connections together may keep of their body buffers between requests.
  DirectBodyHandler(const Pistache::Rest::Router& routes, uint64_t max_body, TooLarge on_too_large,
                    size_t kept_budget = size_t{64} << 20);

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  struct Connection;  // per-peer state (direct_body_handler.cpp)
  // Bytes of body buffers kept between requests, over all connections (for tests and metrics).
  size_t keptBytes() const { return kept_->load(); }

 private:
  void serve(Connection& conn, const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  // The head (request line + headers) is complete: the request is served, or its body is next.
  void headDone(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void dispatch(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, bool with_body);
  // `Expect: 100-continue` (curl sends it with bodies over 1 MiB, then waits a second for it):
  // the interim answer, so the body comes at once.
  void maybeContinue(const Pistache::Http::Request& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  Pistache::Http::ResponseWriter writerFor(const Pistache::Http::Request& request,
                                           const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void answerError(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, Pistache::Http::Code code,
                   const std::string& reason);

  uint64_t max_body_;
  TooLarge on_too_large_;
  size_t kept_budget_;
  // Shared by Pistache's per-thread clones of this handler and by every connection's state.
  std::shared_ptr<std::atomic<size_t>> kept_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace batchrun::ingest
