#include "batchrun/ingest/read/sse_stream.hpp"

#include <chrono>
#include <pistache/peer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

namespace {

// One HTTP/1.1 chunk.
void appendChunk(std::string& out, std::string_view data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out += size;
  out += data;
  out += "\r\n";
}

}  // namespace

struct SseHub::Stream {
  ~Stream() {
    if (fd >= 0) ::close(fd);
  }
  std::string batch_id;
  std::string last_event_id;
  bool positioned = false;
  bool finished = false;     // nothing more to read: end the stream
  bool end_queued = false;   // the final chunk is in `pending`; close once it is out
  size_t next = 0;
  int64_t last_write_ms = 0;
  std::weak_ptr<Pistache::Tcp::Peer> peer;
  int fd = -1;          // our own dup() of the connection's socket
  std::string pending;  // framed bytes not yet accepted by the socket
};

std::string formatSseEvent(const SseEvent& e) {
  std::string frame = "id: " + e.id + "\nevent: " + e.type + "\n";
  size_t start = 0;
  while (start <= e.body.size()) {
    size_t end = e.body.find('\n', start);
    if (end == std::string::npos) end = e.body.size();
    frame += "data: ";
    frame.append(e.body, start, end - start);
    frame += '\n';
    start = end + 1;
  }
  frame += '\n';
  return frame;
}

SseHub::SseHub(BatchEvents& events, SseConfig config, const Clock& clock)
    : events_(events), config_(config), clock_(clock) {}

SseHub::~SseHub() { stop(); }

void SseHub::start() {
  events_.setListener([this] {
    std::lock_guard lock(mu_);
    dirty_ = true;
    wake_.notify_one();
  });
  thread_ = std::thread([this] { loop(); });
}

void SseHub::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  events_.setListener(nullptr);
  // End what is still open with a final chunk (best effort) so clients see a clean end of stream
  // and resume elsewhere with Last-Event-ID.
  std::lock_guard lock(mu_);
  for (auto& s : streams_) {
    if (s->peer.expired()) continue;
    if (!s->end_queued) s->pending += "0\r\n\r\n";
    [[maybe_unused]] ssize_t n = ::send(s->fd, s->pending.data(), s->pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  streams_.clear();
}

void SseHub::open(std::string batch_id, std::string last_event_id, Pistache::Http::ResponseWriter response) {
  auto peer = response.getPeer();
  int fd = peer ? ::dup(peer->fd()) : -1;
  if (fd < 0) {
    replyError(response, Pistache::Http::Code::Service_Unavailable, "unavailable", "cannot open the event stream", {}, 1);
    return;
  }
  auto s = std::make_unique<Stream>();
  s->batch_id = std::move(batch_id);
  s->last_event_id = std::move(last_event_id);
  s->peer = peer;
  s->fd = fd;
  s->pending =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Connection: keep-alive\r\nX-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::lock_guard lock(mu_);
  if (stopping_) return;  // `s` closes its fd; the client sees the connection end and may resume
  streams_.push_back(std::move(s));
  dirty_ = true;
  wake_.notify_one();
}

size_t SseHub::openStreams() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

bool SseHub::pump(Stream& s, int64_t now) {
  // The reactor dropped the Peer: the client closed the connection.
  if (s.peer.expired()) return false;
  if (!s.positioned) {
    auto from = events_.positionAfter(s.batch_id, s.last_event_id);
    s.positioned = true;
    if (!from) s.finished = true;  // resumed after batch.completed: nothing is left to send
    else s.next = *from;
  }
  bool wrote = false;
  if (!s.finished) {
    auto slice = events_.read(s.batch_id, s.next);
    s.next = slice.next;
    for (const auto& e : slice.events) appendChunk(s.pending, formatSseEvent(*e));
    wrote = !slice.events.empty();
    if (slice.finished) s.finished = true;
  }
  if (!wrote && !s.finished && s.pending.empty() && now - s.last_write_ms >= config_.heartbeat_ms) {
    appendChunk(s.pending, ": keepalive\n\n");
  }
  if (s.finished && !s.end_queued) {
    s.pending += "0\r\n\r\n";
    s.end_queued = true;
  }
  if (s.pending.size() > config_.max_pending_bytes) return false;  // too slow: it can resume later
  while (!s.pending.empty()) {
    ssize_t n = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // the rest goes out on a later tick
      if (errno == EINTR) continue;
      return false;  // reset or closed by the client
    }
    s.pending.erase(0, static_cast<size_t>(n));
    s.last_write_ms = now;
  }
  if (s.finished && s.pending.empty()) {
    // Back to keep-alive: from here the edge's idle timeout applies (direct_body_handler.hpp).
    if (auto peer = s.peer.lock()) peer->setIdle(true);
    return false;
  }
  return true;
}

void SseHub::loop() {
  int64_t next_sweep = clock_.nowMs() + config_.sweep_ms;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Wake on new events or new streams, and at least every 100 ms for heartbeats and the grace
    // period of batch.completed.
    wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return dirty_ || stopping_; });
    if (stopping_) break;
    dirty_ = false;
    int64_t now = clock_.nowMs();
    for (size_t i = 0; i < streams_.size();) {
      bool keep = false;
      try {
        keep = pump(*streams_[i], now);
      } catch (const std::exception& e) {
        log::debug("sse stream dropped", {{"batch_id", streams_[i]->batch_id}, {"error", e.what()}});
      }
      if (keep) {
        ++i;
      } else {
        streams_[i] = std::move(streams_.back());
        streams_.pop_back();
      }
    }
    if (now >= next_sweep) {
      lock.unlock();
      events_.sweep();
      lock.lock();
      next_sweep = now + config_.sweep_ms;
    }
  }
}

}  // namespace batchrun::ingest
