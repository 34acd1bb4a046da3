// DirectBodyHandler on its real listener (EdgeServer), driven through a raw socket so each test
// chooses where the bytes split: heads and bodies in pieces, pipelined requests, chunked bodies,
// refused sizes, a client that leaves mid-body, deadlines and the connection cap. (The symptoms of
// issue 24 against the whole App: tests/integration/ingest_edge_test.cpp.)
#include "batchrun/ingest/http/direct_body_handler.hpp"
#include "batchrun/ingest/http/edge_server.hpp"

#include <gtest/gtest.h>
#include <pistache/router.h>

#include <mutex>
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

EdgeLimits limitsFor(uint64_t max_body, size_t kept_budget = size_t{64} << 20) {
  EdgeLimits limits;
  limits.max_body = max_body;
  limits.kept_budget = kept_budget;
  return limits;
}

// The handler on its real listener (EdgeServer), one HTTP thread, a fast tick.
class Server {
 public:
  explicit Server(EdgeLimits limits = limitsFor(16 * 1024 * 1024)) {
    using namespace Pistache;
    Rest::Routes::Post(router_, "/echo", [](const Rest::Request& req, Http::ResponseWriter rw) {
      rw.send(Http::Code::Ok, digest(req.body()));
      return Rest::Route::Result::Ok;
    });
    Rest::Routes::Get(router_, "/ping", [](const Rest::Request&, Http::ResponseWriter rw) {
      rw.send(Http::Code::Ok, "pong");
      return Rest::Route::Result::Ok;
    });
    // Answered only when the test says so, from the test's thread (as a Kafka acknowledgement is).
    Rest::Routes::Get(router_, "/hold", [this](const Rest::Request&, Http::ResponseWriter rw) {
      std::lock_guard lock(mu_);
      held_ = std::make_unique<Http::ResponseWriter>(std::move(rw));
      return Rest::Route::Result::Ok;
    });
    EdgeServerOptions options;
    options.threads = 1;
    options.tick = 20ms;
    auto server = EdgeServer::start(options, router_, limits);
    EXPECT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }
  uint16_t port() const { return server_->port(); }
  size_t keptBytes() const { return server_->handler().keptBytes(); }
  size_t openConnections() const { return server_->handler().openConnections(); }
  bool held() {
    std::lock_guard lock(mu_);
    return held_ != nullptr;
  }
  void release() {
    std::lock_guard lock(mu_);
    held_->send(Pistache::Http::Code::Ok, "released");
    held_.reset();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Pistache::Http::ResponseWriter> held_;
  Pistache::Rest::Router router_;
  std::unique_ptr<EdgeServer> server_;
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
  Server server(limitsFor(16 * 1024 * 1024, 4 * 1024 * 1024));
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

TEST(DirectBodyHandler, ChunkedBodiesAreDecoded) {
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

// Its body unread, the connection cannot go on: where would the next request start?
TEST(DirectBodyHandler, ABodyOverTheLimitIsRefusedUnreadAndTheConnectionCloses) {
  Server server(limitsFor(1000));
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  client.send(post(randomBody(50'000, 3)) + post("pipelined"), 4096);
  auto r = client.read();
  ASSERT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error":{"code":"payload_too_large","message":"the body is 50000 bytes; the limit is 1000","details":[]}})");
  EXPECT_EQ(r.headers.at("connection"), "Close");
  EXPECT_TRUE(client.closedWithin(10s));
  EXPECT_EQ(client.unread(), "");
  RawClient next(server.port());
  next.send(post("fits"));
  r = next.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, digest("fits"));
}

// Chunked bodies are decoded here too, so what follows one is the next request.
TEST(DirectBodyHandler, RequestsPipelinedAfterAChunkedBodyAreServed) {
  Server server;
  RawClient client(server.port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n" + post("next"));
  EXPECT_EQ(client.read().body, digest("hello"));
  EXPECT_EQ(client.read().body, digest("next"));
}

// A request being answered has no deadline: only a head or body being awaited, or an idle
// connection, does. (Pistache 0.0.5's own transport answered 408 to any connection whose request
// took longer than its header timeout — an SSE stream after 60 s.)
TEST(DirectBodyHandler, ARequestBeingAnsweredOutlivesTheTimeouts) {
  EdgeLimits limits = limitsFor(1000);
  limits.head_timeout = 200ms;
  limits.idle_timeout = 200ms;
  Server server(limits);
  RawClient held(server.port());
  held.send("GET /hold HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.held(); }, 10s));
  // A connection opened after the request was held, and sending nothing, is closed for its head
  // timeout: by then the held one's deadlines, were there any, would have passed too.
  RawClient witness(server.port());
  EXPECT_TRUE(witness.closedWithin(10s));
  EXPECT_EQ(witness.read().status, 408);
  EXPECT_FALSE(held.closedWithin(1ms));
  server.release();
  const auto r = held.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "released");
  // Then idle: closed, quietly.
  EXPECT_TRUE(held.closedWithin(10s));
  EXPECT_EQ(held.unread(), "");
}

TEST(DirectBodyHandler, ConnectionsOverTheCapAreRefusedAndCountedOut) {
  EdgeLimits limits = limitsFor(1000);
  limits.max_connections = 1;
  Server server(limits);
  const std::string ping = "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
  {
    RawClient first(server.port());
    first.send(ping);
    ASSERT_EQ(first.read().body, "pong");
    RawClient second(server.port());
    EXPECT_EQ(second.read().status, 503);
    EXPECT_TRUE(second.closedWithin(10s));
    first.send(ping);
    EXPECT_EQ(first.read().body, "pong");
  }
  EXPECT_TRUE(batchrun::testing::waitFor([&] { return server.openConnections() == 0; }, 10s));
  RawClient third(server.port());
  third.send(ping);
  EXPECT_EQ(third.read().body, "pong");
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
    EXPECT_TRUE(client.closedWithin(10s));
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
