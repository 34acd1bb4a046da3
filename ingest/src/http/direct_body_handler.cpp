#include "batchrun/ingest/http/direct_body_handler.hpp"

#include <pistache/peer.h>
#include <sys/socket.h>

#include <pistache/transport.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace batchrun::ingest {

namespace Http = Pistache::Http;

namespace {

constexpr const char* kConnectionData = "batchrun.conn";
// A head (request line + headers) longer than this is refused with 431 instead of being buffered
// up to Pistache's whole-request limit.
constexpr size_t kMaxHeadBytes = 64 * 1024;
// A connection keeps its body buffer for the next request up to this size (and while all
// connections together keep less than the handler's budget), so steady traffic of large batches
// reuses warm memory while idle connections and huge bodies give theirs back.
constexpr size_t kKeepBodyBytes = 4 * 1024 * 1024;

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

}  // namespace

struct DirectBodyHandler::Connection {
  enum class Mode { kHead, kBody, kDrop, kPistache };
  Mode mode = Mode::kHead;
  std::shared_ptr<Http::RequestParser> parser;
  size_t head_bytes = 0;  // bytes of the current head fed to the parser
  int crlf = 0;           // how much of "\r\n\r\n" ends what was fed
  std::string body;       // the body being read (size = Content-Length); kept across requests
  size_t have = 0;        // bytes of it read
  uint64_t drop_left = 0; // bytes of a refused body still to skip
  std::shared_ptr<std::atomic<size_t>> kept;  // the handler's count of kept buffer bytes
  size_t kept_budget = 0;
  size_t counted = 0;     // what `kept` holds for this connection's buffer

  ~Connection() {
    if (kept) kept->fetch_sub(counted);
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
    head_bytes = 0;
    crlf = 0;
    have = 0;
    // The bytes stay: the next body's resize() zero-fills only beyond them, and a body is
    // overwritten whole before it is used. Clearing cost every 1 MB body a 1 MB memset.
    keepOrRelease();
    parser->reset();
  }

  void keepOrRelease() {
    // An empty string's own (small-string) room is no allocation.
    const size_t capacity = body.capacity() > std::string().capacity() ? body.capacity() : 0;
    if (capacity <= counted) {
      kept->fetch_sub(counted - capacity);
      counted = capacity;
      return;
    }
    if (capacity <= kKeepBodyBytes) {
      const size_t more = capacity - counted;
      if (kept->fetch_add(more) + more <= kept_budget) {
        counted = capacity;
        return;
      }
      kept->fetch_sub(more);
    }
    kept->fetch_sub(counted);
    counted = 0;
    std::string().swap(body);
  }
};

DirectBodyHandler::DirectBodyHandler(const Pistache::Rest::Router& routes, uint64_t max_body, TooLarge on_too_large,
                                     size_t kept_budget)
    : RouterHandler(routes), max_body_(max_body), on_too_large_(std::move(on_too_large)), kept_budget_(kept_budget) {}

void DirectBodyHandler::onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  auto data = peer->tryGetData(kConnectionData);
  if (!data) {
    auto fresh = std::make_shared<Connection>();
    fresh->parser = getParser(peer);
    fresh->kept = kept_;
    fresh->kept_budget = kept_budget_;
    peer->putData(kConnectionData, fresh);
    data = std::move(fresh);
  }
  auto& conn = *std::static_pointer_cast<Connection>(data);
  // No exception may leave a Pistache callback; these mirror what Pistache's own onInput answers.
  try {
    serve(conn, buffer, len, peer);
  } catch (const Http::HttpError& e) {
    answerError(conn, peer, static_cast<Http::Code>(e.code()), e.reason());
  } catch (const std::exception& e) {
    answerError(conn, peer, Http::Code::Internal_Server_Error, e.what());
  }
}

void DirectBodyHandler::serve(Connection& conn, const char* buffer, size_t len,
                              const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  using Mode = Connection::Mode;
  for (;;) {
    switch (conn.mode) {
      case Mode::kHead: {
        if (len == 0) return;
        const size_t n = conn.scanHead(buffer, len);
        conn.head_bytes += n;
        if (conn.head_bytes > kMaxHeadBytes) {
          throw Http::HttpError(Http::Code::Request_Header_Fields_Too_Large, "Request head over 64 KiB");
        }
        if (!conn.parser->feed(buffer, n)) {
          throw Http::HttpError(Http::Code::Request_Entity_Too_Large, "Request exceeded maximum buffer size");
        }
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
      case Mode::kDrop: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(conn.drop_left, len));
        conn.drop_left -= take;
        buffer += take;
        len -= take;
        if (conn.drop_left > 0) return;
        conn.mode = Mode::kHead;
        break;
      }
      case Mode::kPistache: {
        // A body this handler does not frame itself (chunked): Pistache's parser reads it, and, as
        // in Pistache's own path, bytes after its end are not kept.
        if (len == 0) return;
        if (!conn.parser->feed(buffer, len)) {
          throw Http::HttpError(Http::Code::Request_Entity_Too_Large, "Request exceeded maximum buffer size");
        }
        if (conn.parser->parse() == Http::Private::State::Done) dispatch(conn, peer, false);
        return;
      }
    }
  }
}

void DirectBodyHandler::headDone(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  if (conn.parser->parse() == Http::Private::State::Done) {  // no body
    dispatch(conn, peer, false);
    return;
  }
  auto& request = conn.parser->request;
  const auto length = request.headers().tryGet<Http::Header::ContentLength>();
  if (!length || request.headers().tryGet<Http::Header::TransferEncoding>()) {
    conn.mode = Connection::Mode::kPistache;
    return;
  }
  if (length->value() > 0) maybeContinue(request, peer);
  if (length->value() > max_body_) {
    auto rw = writerFor(request, peer);
    on_too_large_(rw, length->value());
    const uint64_t skip = length->value();
    conn.nextRequest();
    conn.mode = Connection::Mode::kDrop;
    conn.drop_left = skip;
    return;
  }
  conn.body.resize(static_cast<size_t>(length->value()));
  conn.have = 0;
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

void DirectBodyHandler::answerError(Connection& conn, const std::shared_ptr<Pistache::Tcp::Peer>& peer,
                                    Http::Code code, const std::string& reason) {
  Http::ResponseWriter rw(conn.parser->request.version(), transport(), this, peer);
  rw.send(code, reason);
  conn.nextRequest();
}

}  // namespace batchrun::ingest
