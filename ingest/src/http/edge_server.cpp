#include "batchrun/ingest/http/edge_server.hpp"

#include <pistache/peer.h>
#include <pistache/transport.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

namespace {

namespace Polling = Pistache::Polling;

// Pistache's Tcp::Transport plus a periodic timer on the same reactor thread: each tick asks the
// handler about every connection of this thread and closes those it says are done.
class EdgeTransport final : public Pistache::Tcp::Transport {
 public:
  EdgeTransport(std::shared_ptr<DirectBodyHandler> handler, std::chrono::milliseconds tick)
      : Transport(handler), handler_(std::move(handler)), tick_(tick) {}
  ~EdgeTransport() override {
    if (timer_fd_ >= 0) ::close(timer_fd_);
  }

  void registerPoller(Polling::Epoll& poller) override {
    Transport::registerPoller(poller);
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) throw std::runtime_error("timerfd_create failed");
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tick_).count();
    itimerspec spec{};
    spec.it_value.tv_sec = spec.it_interval.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = spec.it_interval.tv_nsec = ns % 1'000'000'000;
    ::timerfd_settime(timer_fd_, 0, &spec, nullptr);
    poller.addFd(timer_fd_, Pistache::Flags<Polling::NotifyOn>(Polling::NotifyOn::Read), Polling::Tag(timer_fd_));
  }

  void onReady(const Pistache::Aio::FdSet& fds) override {
    for (const auto& entry : fds) {
      if (timer_fd_ >= 0 && entry.getTag() == Polling::Tag(timer_fd_)) {
        uint64_t expirations = 0;
        [[maybe_unused]] const ssize_t n = ::read(timer_fd_, &expirations, sizeof expirations);
        expire();
        break;
      }
    }
    // The base ignores the timer's tag (neither a peer nor one of its own timers).
    Transport::onReady(fds);
  }

  std::shared_ptr<Pistache::Aio::Handler> clone() const override {
    return std::make_shared<EdgeTransport>(std::static_pointer_cast<DirectBodyHandler>(handler_->clone()), tick_);
  }

 private:
  void expire() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Pistache::Tcp::Peer>> done;
    for (const auto& [fd, peer] : peers) {
      if (handler_->tick(peer, now)) done.push_back(peer);
    }
    for (const auto& peer : done) {
      handler_->onDisconnection(peer);
      removePeer(peer);  // closes the descriptor, on the thread that owns it
    }
  }

  std::shared_ptr<DirectBodyHandler> handler_;
  std::chrono::milliseconds tick_;
  int timer_fd_ = -1;
};

}  // namespace

int raiseDescriptorLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return static_cast<int>(std::min<rlim_t>(lim.rlim_cur, INT_MAX));
}

Result<std::unique_ptr<EdgeServer>> EdgeServer::start(const EdgeServerOptions& options,
                                                      const Pistache::Rest::Router& router, EdgeLimits limits,
                                                      DirectBodyHandler::Observer observer) {
  const int soft = raiseDescriptorLimit();
  // Each connection takes a descriptor (an SSE stream two); what the limit leaves after the
  // reserve is the most that can be served.
  const size_t room = static_cast<size_t>(std::max(soft - limits.reserve_fds, 1));
  if (limits.max_connections > room) {
    log::warn("ingest: the descriptor limit allows fewer connections than BATCHRUN_INGEST_MAX_CONNECTIONS",
              {{"max_connections", std::to_string(limits.max_connections)},
               {"descriptor_limit", std::to_string(soft)},
               {"reserve", std::to_string(limits.reserve_fds)}});
    limits.max_connections = room;
  }
  std::unique_ptr<EdgeServer> server(new EdgeServer());
  server->limits_ = limits;
  server->handler_ = std::make_shared<DirectBodyHandler>(router, limits, std::move(observer));
  try {
    Pistache::Address addr(options.host, Pistache::Port(static_cast<uint16_t>(options.port)));
    server->listener_ = std::make_unique<Pistache::Tcp::Listener>(addr);
    server->listener_->init(static_cast<size_t>(options.threads),
                            Pistache::Flags<Pistache::Tcp::Options>(Pistache::Tcp::Options::ReuseAddr));
    auto handler = server->handler_;
    const auto tick = options.tick;
    server->listener_->setTransportFactory([handler, tick] { return std::make_shared<EdgeTransport>(handler, tick); });
    server->listener_->setHandler(server->handler_);
    server->listener_->bind();
    server->listener_->runThreaded();
  } catch (const std::exception& e) {
    server->listener_.reset();
    return Error::unavailable(std::string("listen: ") + e.what());
  }
  return server;
}

EdgeServer::~EdgeServer() { shutdown(); }

uint16_t EdgeServer::port() const { return listener_ ? static_cast<uint16_t>(listener_->getPort()) : 0; }

void EdgeServer::shutdown() {
  if (stopped_ || !listener_) return;
  stopped_ = true;
  listener_->shutdown();
}

}  // namespace batchrun::ingest
