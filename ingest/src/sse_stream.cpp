#include "batchrun/ingest/sse_stream.hpp"

#include <chrono>
#include <optional>

#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

using Pistache::Http::ResponseStream;

struct SseHub::Stream {
  std::string batch_id;
  std::string last_event_id;
  bool positioned = false;
  size_t next = 0;
  int64_t last_write_ms = 0;
  std::weak_ptr<Pistache::Tcp::Peer> peer;
  std::optional<ResponseStream> out;
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
  // End what is still open so clients see a clean end of stream and reconnect elsewhere.
  std::lock_guard lock(mu_);
  for (auto& s : streams_) {
    auto peer = s->peer.lock();
    if (!peer || !s->out) continue;
    try {
      s->out->ends();
    } catch (const std::exception&) {
    }
  }
  streams_.clear();
}

void SseHub::open(std::string batch_id, std::string last_event_id, Pistache::Http::ResponseWriter response) {
  auto s = std::make_unique<Stream>();
  s->batch_id = std::move(batch_id);
  s->last_event_id = std::move(last_event_id);
  s->peer = response.getPeer();
  response.headers()
      .add<Pistache::Http::Header::ContentType>(Pistache::Http::Mime::MediaType("text/event-stream"))
      .add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoCache)
      .add<Pistache::Http::Header::Connection>(Pistache::Http::ConnectionControl::KeepAlive);
  // Only buffers the status line and headers; the pump thread sends them with the first flush.
  s->out.emplace(response.stream(Pistache::Http::Code::Ok));
  std::lock_guard lock(mu_);
  if (stopping_) return;  // the stream object ends with `s`; the client sees the connection drop
  streams_.push_back(std::move(s));
  dirty_ = true;
  wake_.notify_one();
}

size_t SseHub::openStreams() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

bool SseHub::pump(Stream& s, int64_t now) {
  // Holding the Peer keeps its fd from being closed and reused while we queue bytes for it.
  auto peer = s.peer.lock();
  if (!peer) return false;
  bool finished = false;
  bool wrote = s.last_write_ms == 0;  // the headers still wait for their first flush
  if (!s.positioned) {
    auto from = events_.positionAfter(s.batch_id, s.last_event_id);
    s.positioned = true;
    if (!from) finished = true;  // resumed after batch.completed: nothing is left to send
    else s.next = *from;
  }
  if (!finished) {
    auto slice = events_.read(s.batch_id, s.next);
    s.next = slice.next;
    finished = slice.finished;
    // Pistache sizes a chunk only for C strings and integers; frames never contain a NUL.
    for (const auto& e : slice.events) *s.out << formatSseEvent(*e).c_str();
    wrote = wrote || !slice.events.empty();
  }
  if (!wrote && now - s.last_write_ms >= config_.heartbeat_ms) {
    *s.out << ": keepalive\n\n";
    wrote = true;
  }
  if (finished) {
    s.out->ends();  // the terminating chunk, flushed
    return false;
  }
  if (wrote) {
    s.out->flush();
    s.last_write_ms = now;
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
