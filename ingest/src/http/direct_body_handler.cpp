#include "batchrun/ingest/http/direct_body_handler.hpp"

#include <pistache/peer.h>
#include <pistache/transport.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/http_framing.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

namespace Http = Pistache::Http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kConnectionData = "batchrun.conn";
// A head (request line + headers) longer than this is refused with 431 instead of being buffered.
// It is also the most Pistache's parser is ever fed: bodies never go through it.
constexpr size_t kMaxHeadBytes = 64 * 1024;
// A connection keeps its body buffer for the next request up to this size (and while all
// connections together keep less than the handler's budget), so steady traffic of large batches
// reuses warm memory while idle connections and huge bodies give theirs back.
constexpr size_t kKeepBodyBytes = 4 * 1024 * 1024;
// After its last answer a closing connection's input is read and dropped for this long, so a
// client still sending (a body after its 413) reads the answer instead of a reset; then it is closed.
constexpr auto kLinger = std::chrono::seconds(2);

// Message::body_ is protected and 0.0.5 has no setter: a pointer to it formed through a derived
// class (standard C++, [class.protected]) lets the request carry the bytes read here.
struct BodyAccess : Http::Request {
  static std::string& of(Http::Request& request) { return request.*(&BodyAccess::body_); }
};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Pistache's parser raises these for request lines; anything else (e.g. a standard-library
// exception's text) is not shown to the client.
std::string requestLineMessage(const std::string& reason) {
  for (const char* known : {"Unknown HTTP request method", "Malformed HTTP request after Method, expected SP",
                            "Encountered invalid HTTP version"}) {
    if (reason == known) return reason;
  }
  return "the request line is malformed";
}

}  // namespace

struct DirectBodyHandler::Connection {
  enum class Mode { kHead, kBody, kChunked, kClosing };
  Mode mode = Mode::kHead;
  std::shared_ptr<Http::RequestParser> parser;
  std::string head;       // the current head's bytes (for checkFraming); capacity kept
  int crlf = 0;           // how much of "\r\n\r\n" ends what was fed
  std::string body;       // the body being read; kept across requests
  size_t have = 0;        // bytes of a Content-Length body read
  ChunkedDecoder chunked;
  // Deadlines: the head is timed from its first byte (from the accept for the first request), the
  // body from the end of its head; between requests the idle clock starts once the last answer
  // has been sent (Pistache marks the peer idle when a response is sent).
  Clock::time_point started{};   // of the current head or body; {} = between requests
  Clock::time_point idle_since{};
  Clock::time_point close_at{};  // kClosing: closed then even if the client has not gone
  bool gone = false;             // Pistache removed the peer (its fd may be another's now)
  std::shared_ptr<Shared> shared;
  size_t kept_budget = 0;
  size_t counted = 0;     // what `shared->kept` holds for this connection's buffer

  ~Connection() {
    if (shared) shared->kept.fetch_sub(counted);
  }

  // Feeds the parser up to the end of the head; returns the bytes consumed.
  size_t scanHead(const char* buffer, size_t len) {
    static constexpr char kEnd[] = "\r\n\r\n";
    for (size_t i = 0; i < len; ++i) {
      const char c = buffer[i];
      if (c == kEnd[crlf]) {
        if (++crlf == 4) return i + 1;
      } else {
        crlf = c == '\r' ? 1 : 0;
      }
    }
    return len;
  }

  // Reads the rest of the body straight from the socket, as much per call as it holds.
  void receive(const Pistache::Tcp::Peer& peer) {
    if (peer.ssl() != nullptr) return;  // TLS bytes must come through Pistache's SSL_read
    const int fd = peer.fd();
    while (have < body.size()) {
      const ssize_t n = ::recv(fd, body.data() + have, body.size() - have, MSG_DONTWAIT);
      if (n > 0) {
        have += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        // EAGAIN: epoll wakes the reactor when more comes. End of stream or an error: Pistache's
        // own next read of the socket sees it and closes the connection.
        return;
      }
    }
  }

  void nextRequest() {
    mode = Mode::kHead;
    head.clear();
    crlf = 0;
    have = 0;
    started = {};
    idle_since = {};
    chunked.reset();
    // The bytes stay: the next body's resize() zero-fills only beyond them, and a body is
    // overwritten whole before it is used. Clearing cost every 1 MB body a 1 MB memset.
    keepOrRelease();
    parser->reset();
  }

  void keepOrRelease() {
    // An empty string's own (small-string) room is no allocation.
    const size_t capacity = body.capacity() > std::string().capacity() ? body.capacity() : 0;
    if (capacity <= counted) {
      shared->kept.fetch_sub(counted - capacity);
      counted = capacity;
      return;
    }
    if (capacity <= kKeepBodyBytes) {
      const size_t more = capacity - counted;
      if (shared->kept.fetch_add(more) + more <= kept_budget) {
        counted = capacity;
        return;
      }
      shared->kept.fetch_sub(more);
    }
    shared->kept.fetch_sub(counted);
    counted = 0;
    std::string().swap(body);
  }
};

DirectBodyHandler::DirectBodyHandler(const Pistache::Rest::Router& routes, EdgeLimits limits, Observer observer)
    : RouterHandler(routes), limits_(limits), observer_(std::move(observer)) {}

void DirectBodyHandler::onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  // What Http::Handler::onConnection (private) does: the parser, sized for a head only.
  peer->putData(ParserData, std::make_shared<Http::RequestParser>(kMaxHeadBytes));
  auto conn = std::make_shared<Connection>();
  conn->parser = getParser(peer);
  conn->shared = shared_;
  conn->kept_budget = limits_.kept_budget;
  conn->started = Clock::now();
  peer->putData(kConnectionData, conn);
  const size_t open = shared_->open.fetch_add(1) + 1;
  // Descriptors are handed out lowest first, so this one's number tells how many are in use.
  rlimit files{};
  const bool near_limit = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
                          static_cast<rlim_t>(peer->fd()) + static_cast<rlim_t>(limits_.reserve_fds) >= files.rlim_cur;
  if (open <= limits_.max_connections && !near_limit) return;
  // Refused at once, before a byte is read: one 503 straight onto the new socket (its buffer is
  // empty, the write cannot block), then end of stream. Refusing here, below the descriptor limit,
  // is what keeps Pistache's accept loop from ever meeting EMFILE (it would spin on it).
  note(EdgeEvent::kRefused);
  const std::string body = errorBody("too_many_connections", "the server has too many open connections; retry later", {});
  const std::string answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             "Retry-After: 1\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
  if (peer->ssl() == nullptr) {
    [[maybe_unused]] const ssize_t sent = ::send(peer->fd(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(peer->fd(), SHUT_WR);
  }
  conn->mode = Connection::Mode::kClosing;
  conn->close_at = Clock::now() + kLinger;
}

void DirectBodyHandler::onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  if (auto data = peer->tryGetData(kConnectionData)) {
    auto& conn = *std::static_pointer_cast<Connection>(data);
    if (!conn.gone) shared_->open.fetch_sub(1);
    conn.gone = true;
  }
  RouterHandler::onDisconnection(peer);
}

void DirectBodyHandler::onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  auto data = peer->tryGetData(kConnectionData);
  if (!data) return;  // not a connection onConnection saw: nothing to serve it with
  auto& conn = *std::static_pointer_cast<Connection>(data);
  // No exception may leave a Pistache callback. What reaches here is a bug of ours or a route's
  // (client mistakes are answered where they are found): logged, never shown to the client.
  try {
    serve(conn, buffer, len, peer);
  } catch (const std::exception& e) {
    log::error("ingest: request handling failed", {{"error", e.what()}});
    if (conn.mode != Connection::Mode::kClosing) {
      answerAndClose(conn, peer, 500, "internal", "the request could not be handled", EdgeEvent::kMalformed);
    }
  }
}

void DirectBodyHandler::serve(Connection& conn, const char* buffer, size_t len,
                              const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  using Mode = Connection::Mode;
  for (;;) {
    switch (conn.mode) {
      case Mode::kHead: {
        if (len == 0) return;
        if (conn.started == Clock::time_point{}) conn.started = Clock::now();
        const size_t n = conn.scanHead(buffer, len);
        if (conn.head.size() + n > kMaxHeadBytes) {
          answerAndClose(conn, peer, 431, "header_too_large", "the request head (request line and headers) is over 64 KiB",
                         EdgeEvent::kMalformed);
          return;
        }
        conn.head.append(buffer, n);
        buffer += n;
        len -= n;
        if (conn.crlf < 4) return;
        headDone(conn, peer);
        break;
      }
      case Mode::kBody: {
        const size_t take = std::min(conn.body.size() - conn.have, len);
        std::memcpy(conn.body.data() + conn.have, buffer, take);
        conn.have += take;
        buffer += take;
        len -= take;
        if (conn.have < conn.body.size()) conn.receive(*peer);
        if (conn.have < conn.body.size()) return;
        dispatch(conn, peer, true);
        break;
      }
      case Mode::kChunked: {
        if (len == 0) return;
        size_t used = 0;
        const auto status = conn.chunked.feed(buffer, len, used, conn.body, limits_.max_body);
        buffer += used;
        len -= used;
        if (status == ChunkedDecoder::Status::kMore) return;
        if (status == ChunkedDecoder::Status::kTooLarge) {
          answerAndClose(conn, peer, 413, "payload_too_large",
                         "the chunked body is over the limit of " + std::to_string(limits_.max_body) + " bytes",
                         EdgeEvent::kTooLarge);
          return;
        }
        if (status == ChunkedDecoder::Status::kError) {
          answerAndClose(conn, peer, 400, "invalid_chunked_body", conn.chunked.problem(), EdgeEvent::kMalformed);
          return;
        }
        dispatch(conn, peer, true);
        break;
      }
      case Mode::kClosing:
        return;  // answered and closing: nothing more is read as a request
    }
  }
}

void DirectBodyHandler::headDone(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  BodyFraming framing;
  FramingError error;
  if (!checkFraming(conn.head, framing, error)) {
    answerAndClose(conn, peer, error.status, error.code, error.message, EdgeEvent::kMalformed);
    return;
  }
  // Before Pistache sees the head: its parser reserves the declared length as it parses.
  if (framing.kind == BodyFraming::Kind::kLength && framing.length > limits_.max_body) {
    answerAndClose(conn, peer, 413, "payload_too_large",
                   "the body is " + std::to_string(framing.length) + " bytes; the limit is " +
                       std::to_string(limits_.max_body),
                   EdgeEvent::kTooLarge);
    return;
  }
  // QUERY (in the HTTP method registry: safe, with a body) is a method Pistache 0.0.5 cannot parse, and
  // no route has it: routed as TRACE, which no route has either, it gets what a path answers any
  // method it lacks (405 with Allow; 404 for an unknown path) instead of a 400 for a malformed
  // request. Its body is read as usual.
  if (conn.head.starts_with("QUERY ")) conn.head.replace(0, 5, "TRACE");
  Http::Private::State state;
  try {
    if (!conn.parser->feed(conn.head.data(), conn.head.size())) {
      answerAndClose(conn, peer, 431, "header_too_large", "the request head is over 64 KiB", EdgeEvent::kMalformed);
      return;
    }
    state = conn.parser->parse();
  } catch (const Http::HttpError& e) {
    // Unknown method, bad version: the body (if any) is unread, so the connection cannot go on.
    const int status = e.code() == static_cast<int>(Http::Code::Not_Implemented) ? 501 : 400;
    answerAndClose(conn, peer, status, "malformed_request_line", requestLineMessage(e.reason()), EdgeEvent::kMalformed);
    return;
  } catch (const std::exception&) {
    answerAndClose(conn, peer, 400, "malformed_request", "the request head is malformed", EdgeEvent::kMalformed);
    return;
  }
  if (state == Http::Private::State::Done) {  // no body
    dispatch(conn, peer, false);
    return;
  }
  if (conn.parser->step()->id() != Http::Private::BodyStep::Id) {
    // The head is complete, yet Pistache still waits in the request line or headers: it would
    // wait for ever.
    answerAndClose(conn, peer, 400, "malformed_request", "the request line or a header line is malformed",
                   EdgeEvent::kMalformed);
    return;
  }
  maybeContinue(conn.parser->request, peer);
  conn.started = Clock::now();  // the body's clock
  conn.have = 0;
  if (framing.kind == BodyFraming::Kind::kChunked) {
    conn.body.clear();
    conn.mode = Connection::Mode::kChunked;
    return;
  }
  conn.body.resize(static_cast<size_t>(framing.length));
  conn.mode = Connection::Mode::kBody;
}

void DirectBodyHandler::maybeContinue(const Http::Request& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  const auto expect = request.headers().tryGetRaw("Expect");
  if (!expect || !equalsIgnoreCase(expect->value(), "100-continue")) return;
  // Through the transport's write queue, so it goes out in order with any answer still queued
  // for this connection.
  static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  transport()->asyncWrite(peer->fd(), Pistache::RawBuffer(kContinue, kContinue.size()));
}

Http::ResponseWriter DirectBodyHandler::writerFor(const Http::Request& request,
                                                 const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  Http::ResponseWriter rw(request.version(), transport(), this, peer);
  // As Pistache 0.0.5 does: echo the request's Connection header, Close when it had none.
  const auto connection = request.headers().tryGet<Http::Header::Connection>();
  rw.headers().add<Http::Header::Connection>(connection ? connection->control() : Http::ConnectionControl::Close);
  return rw;
}

void DirectBodyHandler::dispatch(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, bool with_body) {
  auto& request = conn.parser->request;
  if (with_body) BodyAccess::of(request).swap(conn.body);
  request.copyAddress(peer->address());
  auto rw = writerFor(request, peer);
  peer->setIdle(false);
  onRequest(request, std::move(rw));
  if (with_body) BodyAccess::of(request).swap(conn.body);  // the buffer stays with the connection
  conn.nextRequest();
}

void DirectBodyHandler::answerAndClose(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer, int status,
                                       const std::string& code, const std::string& message, EdgeEvent why) {
  note(why);
  conn.mode = Connection::Mode::kClosing;
  conn.close_at = Clock::now() + kLinger;
  Http::ResponseWriter rw(Http::Version::Http11, transport(), this, peer);
  rw.headers().add<Http::Header::ContentType>(MIME(Application, Json));
  rw.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
  const int fd = peer->fd();
  std::weak_ptr<Connection> weak = std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionData));
  // Once the answer is in the socket: end of stream for the client (it reads the answer, then
  // EOF), while what it still sends is read and dropped until it closes or the linger ends. Runs
  // on this reactor thread; `gone` tells that the fd may already belong to someone else.
  rw.send(static_cast<Http::Code>(status), errorBody(code, message, {}))
      .then(
          [fd, weak](ssize_t) {
            if (auto c = weak.lock(); c && !c->gone) ::shutdown(fd, SHUT_WR);
          },
          [](std::exception_ptr) {});
}

bool DirectBodyHandler::tick(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Clock::time_point now) {
  auto data = peer->tryGetData(kConnectionData);
  if (!data) return false;
  auto& conn = *std::static_pointer_cast<Connection>(data);
  using Mode = Connection::Mode;
  try {
    switch (conn.mode) {
      case Mode::kClosing:
        return now >= conn.close_at;
      case Mode::kBody:
      case Mode::kChunked:
        if (now - conn.started > limits_.body_timeout) {
          answerAndClose(conn, peer, 408, "request_timeout",
                         "the body did not arrive within " + std::to_string(limits_.body_timeout.count()) + " ms",
                         EdgeEvent::kTimedOut);
        }
        return false;
      case Mode::kHead:
        if (conn.started != Clock::time_point{}) {  // a head is due: its first byte came, or a new connection's
          if (now - conn.started > limits_.head_timeout) {
            answerAndClose(conn, peer, 408, "request_timeout",
                           "the request head did not arrive within " + std::to_string(limits_.head_timeout.count()) +
                               " ms",
                           EdgeEvent::kTimedOut);
          }
          return false;
        }
        // Between requests: being answered (no deadline) until the answer was sent, then idle.
        if (conn.idle_since == Clock::time_point{}) {
          if (peer->isIdle()) conn.idle_since = now;
          return false;
        }
        if (now - conn.idle_since > limits_.idle_timeout) {
          note(EdgeEvent::kIdleClosed);
          return true;
        }
        return false;
    }
  } catch (const std::exception& e) {
    log::error("ingest: connection timer failed", {{"error", e.what()}});
    return true;
  }
  return false;
}

}  // namespace batchrun::ingest
