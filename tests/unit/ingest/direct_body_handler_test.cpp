// DirectBodyHandler on a real Pistache endpoint, driven through a raw socket so each test chooses
// where the bytes split: heads and bodies in pieces, pipelined requests, chunked bodies, refused
// sizes, a client that leaves mid-body.
#include "batchrun/ingest/http/direct_body_handler.hpp"

#include <gtest/gtest.h>
#include <pistache/endpoint.h>

#include <random>
#include <string>

#include "../../support/wait.hpp"
#include "raw_http_client.hpp"

namespace batchrun::ingest {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

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
  explicit Server(uint64_t max_body = 16 * 1024 * 1024, size_t kept_budget = size_t{64} << 20) {
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
    handler_ = std::make_shared<DirectBodyHandler>(
        router_, max_body,
        [](Http::ResponseWriter& rw, uint64_t length) {
          rw.send(Http::Code::Request_Entity_Too_Large, "too large: " + std::to_string(length));
        },
        kept_budget);
    endpoint_->setHandler(handler_);
    endpoint_->serveThreaded();
  }
  ~Server() { endpoint_->shutdown(); }
  uint16_t port() const { return static_cast<uint16_t>(endpoint_->getPort()); }
  size_t keptBytes() const { return handler_->keptBytes(); }

 private:
  Pistache::Rest::Router router_;
  std::shared_ptr<DirectBodyHandler> handler_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
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

// The buffers connections keep between requests are bounded over all connections, and given back
// when a connection goes or a body was larger than a buffer worth keeping.
TEST(DirectBodyHandler, KeptBodyBuffersStayWithinTheBudget) {
  Server server(16 * 1024 * 1024, 4 * 1024 * 1024);
  const std::string ping = "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
  // One request after another on the same connection: the first one's buffer is settled by then
  // (the server has one HTTP thread).
  auto post3mb = [&](RawClient& c, unsigned seed) {
    c.send(post(randomBody(3'000'000, seed)));
    ASSERT_EQ(c.read().status, 200);
    c.send(ping);
    ASSERT_EQ(c.read().body, "pong");
  };
  RawClient first(server.port()), second(server.port());
  post3mb(first, 1);
  EXPECT_GE(server.keptBytes(), 3'000'000u);
  EXPECT_LE(server.keptBytes(), 4u * 1024 * 1024);
  post3mb(second, 2);  // would go over the budget: given back
  EXPECT_GE(server.keptBytes(), 3'000'000u);
  EXPECT_LE(server.keptBytes(), 4u * 1024 * 1024);
  first.close();
  EXPECT_TRUE(batchrun::testing::waitFor([&] { return server.keptBytes() == 0; }, 10s)) << server.keptBytes();
  RawClient big(server.port());
  big.send(post(randomBody(5'000'000, 3)));  // over the size worth keeping
  ASSERT_EQ(big.read().status, 200);
  big.send(ping);
  ASSERT_EQ(big.read().body, "pong");
  EXPECT_EQ(server.keptBytes(), 0u);
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

TEST(DirectBodyHandler, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  Server server;
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  const auto body = randomBody(100'000, 5);
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nExpect: 100-Continue\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(client.read().status, 100);  // without it the body is never sent and this times out
  client.send(body);
  const auto r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, digest(body));
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
