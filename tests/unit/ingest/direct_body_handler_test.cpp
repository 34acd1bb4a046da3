// DirectBodyHandler on a real Pistache endpoint, driven through a raw socket so each test chooses
// where the bytes split: heads and bodies in pieces, pipelined requests, chunked bodies, refused
// sizes, a client that leaves mid-body.
#include "batchrun/ingest/direct_body_handler.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pistache/endpoint.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>

namespace batchrun::ingest {
namespace {

using namespace std::chrono_literals;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string digest(std::string_view body) {
  return "n=" + std::to_string(body.size()) + " h=" + std::to_string(fnv1a(body));
}

class Server {
 public:
  explicit Server(uint64_t max_body = 16 * 1024 * 1024) {
    using namespace Pistache;
    Rest::Routes::Post(router_, "/echo", [](const Rest::Request& req, Http::ResponseWriter rw) {
      rw.send(Http::Code::Ok, digest(req.body()));
      return Rest::Route::Result::Ok;
    });
    Rest::Routes::Get(router_, "/ping", [](const Rest::Request&, Http::ResponseWriter rw) {
      rw.send(Http::Code::Ok, "pong");
      return Rest::Route::Result::Ok;
    });
    endpoint_ = std::make_unique<Http::Endpoint>(Address("127.0.0.1", Port(0)));
    endpoint_->init(Http::Endpoint::options().threads(1).maxRequestSize(max_body + 65536).flags(Tcp::Options::ReuseAddr));
    endpoint_->setHandler(std::make_shared<DirectBodyHandler>(
        router_, max_body, [](Http::ResponseWriter& rw, uint64_t length) {
          rw.send(Http::Code::Request_Entity_Too_Large, "too large: " + std::to_string(length));
        }));
    endpoint_->serveThreaded();
  }
  ~Server() { endpoint_->shutdown(); }
  uint16_t port() const { return static_cast<uint16_t>(endpoint_->getPort()); }

 private:
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

struct Response {
  int status = 0;  // 0: the connection ended or nothing came before the deadline
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(); }
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Writes bytes in pieces of `piece` bytes, one send each (so the server reads them apart).
  void send(std::string_view bytes, size_t piece = 0) {
    if (piece == 0) piece = bytes.size();
    for (size_t at = 0; at < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + at, std::min(piece, bytes.size() - at), MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }

  Response read(std::chrono::milliseconds deadline = 10s) {
    Response r;
    const auto until = std::chrono::steady_clock::now() + deadline;
    size_t head_end;
    while ((head_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(until)) return r;
    }
    const std::string head = buffered_.substr(0, head_end);
    buffered_.erase(0, head_end + 4);
    std::sscanf(head.c_str(), "HTTP/1.%*d %d", &r.status);
    for (size_t at = head.find("\r\n"); at != std::string::npos;) {
      const size_t next = head.find("\r\n", at + 2);
      const std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      if (const size_t colon = line.find(':'); colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      at = next;
    }
    const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buffered_.size() < length) {
      if (!fill(until)) return Response{};
    }
    r.body = buffered_.substr(0, length);
    buffered_.erase(0, length);
    return r;
  }

 private:
  bool fill(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      return false;
    }
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffered_;
};

std::string randomBody(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

std::string post(const std::string& body, const std::string& connection = "keep-alive") {
  return "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: " + connection + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(DirectBodyHandler, ReadsLargeBodiesWholeOnAKeptAliveConnection) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  for (unsigned i = 0; i < 3; ++i) {
    const auto body = randomBody(3'000'000 + i, i);
    client.send(post(body));
    const auto r = client.read();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, digest(body));
    EXPECT_EQ(r.headers.at("connection"), "Keep-Alive");
  }
}

TEST(DirectBodyHandler, HeadsAndBodiesSplitAnywhereArriveIntact) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  // Piece sizes that split the head's CRLFCRLF, land on and around Pistache's 4 KiB reads, and cut
  // the body mid-way.
  for (size_t piece : {1, 2, 3, 5, 4095, 4096, 4097, 65537}) {
    const auto body = randomBody(piece == 1 ? 3000 : 200'000, static_cast<unsigned>(piece));
    client.send(post(body), piece);
    const auto r = client.read();
    ASSERT_EQ(r.status, 200) << "piece " << piece;
    EXPECT_EQ(r.body, digest(body)) << "piece " << piece;
  }
}

TEST(DirectBodyHandler, PipelinedRequestsAreAnsweredInOrder) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  const auto a = randomBody(70'000, 1);
  const auto b = randomBody(10, 2);
  client.send(post(a) + "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n" + post("") + post(b));
  auto r = client.read();
  EXPECT_EQ(r.body, digest(a));
  r = client.read();
  EXPECT_EQ(r.body, "pong");
  r = client.read();
  EXPECT_EQ(r.body, digest(""));
  r = client.read();
  EXPECT_EQ(r.body, digest(b));
}

TEST(DirectBodyHandler, ChunkedBodiesAreReadByPistache) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, digest("hello world"));
  // and the connection goes on with a framed body
  client.send(post("again"));
  r = client.read();
  EXPECT_EQ(r.body, digest("again"));
}

TEST(DirectBodyHandler, ABodyOverTheLimitIsRefusedUnreadAndTheConnectionGoesOn) {
  Server server(1000);
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  client.send(post(randomBody(50'000, 3)), 4096);
  auto r = client.read();
  ASSERT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "too large: 50000");
  client.send(post("fits"));
  r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, digest("fits"));
}

TEST(DirectBodyHandler, AnswersWithoutKeepAliveCloseAsPistacheDoes) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  const auto r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("connection"), "Close");
}

TEST(DirectBodyHandler, BadRequestLinesAndOversizedHeadsGetErrors) {
  Server server;
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.connected());
    client.send("BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(client.read().status, 400);
  }
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.connected());
    client.send("GET /ping HTTP/1.1\r\nX-Big: " + std::string(70'000, 'a') + "\r\n\r\n");
    EXPECT_EQ(client.read().status, 431);
  }
}

TEST(DirectBodyHandler, AClientLeavingMidBodyLeavesTheServerServing) {
  Server server;
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.connected());
    const auto request = post(randomBody(500'000, 4));
    client.send(std::string_view(request).substr(0, request.size() / 2));
  }
  RawClient next(server.port());
  ASSERT_TRUE(next.connected());
  next.send(post("still here"));
  const auto r = next.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, digest("still here"));
}

}  // namespace
}  // namespace batchrun::ingest
