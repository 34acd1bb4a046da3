#pragma once
// EdgeServer: ingest's HTTP listener — Pistache's Tcp::Listener and reactor, with a transport of
// our own instead of Http::Endpoint's.
//
// Why not Http::Endpoint: its transport (Pistache 0.0.5, endpoint.cc) times connections from the
// last reset of the request parser and answers 408 to any connection that has "a request" for
// longer than headerTimeout — including one whose request is still being answered (a Kafka
// acknowledgement, an SSE stream: the 408 landed in the middle of the event stream after 60 s),
// and its idea of idle is a flag any thread's send flips. Ours asks DirectBodyHandler::tick()
// for each connection, on the connection's own reactor thread a few times a second (a timerfd
// per reactor, as Pistache's own), so deadlines apply only while a head or body is awaited, or
// while the connection is idle, and closing a connection never races with Pistache reusing its
// descriptor.
//
// Descriptors: start() raises the soft RLIMIT_NOFILE to the hard limit, and the handler refuses
// (503, close) any connection whose descriptor is within EdgeLimits::reserve_fds of it. Pistache
// 0.0.5's accept loop polls the listening socket level-triggered and only logs accept() errors,
// so at EMFILE it would spin on the pending connection; refusing below the limit keeps accept()
// succeeding. What remains: descriptors taken by something else (files, Kafka sockets, SSE
// streams' dup()s) beyond the reserve can still bring accept() to EMFILE (docs/operations.md).
// Thread-safe: start/port/shutdown from one owner; the handler runs on Pistache's threads.
#include <pistache/listener.h>
#include <pistache/router.h>

#include <chrono>
#include <memory>
#include <string>

#include "batchrun/common/result.hpp"
#include "batchrun/ingest/http/direct_body_handler.hpp"

namespace batchrun::ingest {

struct EdgeServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 2;
  // How often each reactor thread checks its connections' deadlines (the timeouts' resolution).
  std::chrono::milliseconds tick{250};
};

class EdgeServer {
 public:
  // Binds and serves on Pistache's threads.
  static Result<std::unique_ptr<EdgeServer>> start(const EdgeServerOptions& options, const Pistache::Rest::Router& router,
                                                   EdgeLimits limits, DirectBodyHandler::Observer observer = {});
  ~EdgeServer();
  EdgeServer(const EdgeServer&) = delete;
  EdgeServer& operator=(const EdgeServer&) = delete;

  uint16_t port() const;
  void shutdown();
  const DirectBodyHandler& handler() const { return *handler_; }
  // The limits in force (max_connections lowered to what the descriptor limit allows).
  const EdgeLimits& limits() const { return limits_; }

 private:
  EdgeServer() = default;
  EdgeLimits limits_;
  std::shared_ptr<DirectBodyHandler> handler_;
  std::unique_ptr<Pistache::Tcp::Listener> listener_;
  bool stopped_ = false;
};

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force.
int raiseDescriptorLimit();

}  // namespace batchrun::ingest
