// Issue 24, items 4, 5 and 7, against the real ingest App through raw sockets: framing that cannot
// be desynchronised (one answer, `Connection: close`, end of stream — nothing left over is read as
// a request), Content-Length abuse answered 400 in JSON without exception text, 413 before
// `100 Continue`, head/body/idle timeouts, the connection cap and the descriptor limit.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../unit/ingest/raw_http_client.hpp"
#include "batchrun/common/crypto.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/ingest/app.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

constexpr int64_t kMaxBody = 64 * 1024;  // the edge answers declared bodies over this + 64 KiB itself

class EdgeApp {
 public:
  explicit EdgeApp(const std::function<void(ingest::IngestConfig&)>& tune = {}) {
    auto settings = uniqueKafkaSettings(1);
    auto st = ensureTopics(settings, standardTopics(settings));
    EXPECT_TRUE(st) << st.error().message;
    ingest::IngestConfig config;
    config.service.kafka = settings;
    config.service.http_port = 0;
    config.service.create_topics = false;
    config.max_body_bytes = kMaxBody;
    config.api_keys.add(sha256Hex("edge-key"), "edge-project");
    if (tune) tune(config);
    app_ = std::make_unique<ingest::App>(config);
    auto started = app_->start();
    EXPECT_TRUE(started) << started.error().message;
  }
  ~EdgeApp() { app_->stop(); }
  uint16_t port() const { return app_->port(); }
  const ingest::App& app() const { return *app_; }

 private:
  std::unique_ptr<ingest::App> app_;
};

const std::string kPing = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";

std::string batchHead(const std::string& framing) {
  return "POST /v1/batches HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nAuthorization: Bearer edge-key\r\n"
         "Content-Type: application/json\r\n" +
         framing + "\r\n";
}

// One JSON error answer with Connection: close, then end of stream and nothing else.
void expectAnsweredOnceAndClosed(RawClient& client, int status, const std::string& context) {
  const auto r = client.read();
  ASSERT_EQ(r.status, status) << context << ": " << r.body;
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/json") << context;
  EXPECT_EQ(r.body.rfind("{\"error\":{\"code\":", 0), 0u) << context << ": " << r.body;
  EXPECT_EQ(r.headers.count("connection") ? r.headers.at("connection") : "", "Close") << context;
  for (const char* internals : {"std::", "stoull", "stol", "basic_string", "_M_create", "bad_alloc", "what()"}) {
    EXPECT_EQ(r.body.find(internals), std::string::npos) << context << ": " << r.body;
  }
  EXPECT_TRUE(client.closedWithin(10s)) << context << ": the connection stayed open";
  EXPECT_EQ(client.unread(), "") << context << ": more than one answer";
}

class IngestEdge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { app_ = new EdgeApp(); }
  static void TearDownTestSuite() {
    delete app_;
    app_ = nullptr;
  }
  static uint16_t port() { return app_->port(); }
  static EdgeApp* app_;
};
EdgeApp* IngestEdge::app_ = nullptr;

// Item 4: the body of a request refused early was read as the next request (3 answers for 2).
TEST_F(IngestEdge, AnUnknownMethodWithABodyIsAnsweredOnceAndTheBodyIsNeverARequest) {
  RawClient client(port());
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: internal\r\n\r\n";
  client.send("BREW /v1/batches HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nContent-Length: " +
              std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled + kPing);
  expectAnsweredOnceAndClosed(client, 400, "unknown method");
}

TEST_F(IngestEdge, A431IsTheLastAnswerOnItsConnection) {
  RawClient client(port());
  client.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70'000, 'a') + "\r\n\r\n" + kPing);
  expectAnsweredOnceAndClosed(client, 431, "431");
}

TEST_F(IngestEdge, A413WithItsBodyUnreadIsTheLastAnswerOnItsConnection) {
  RawClient client(port());
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: internal\r\n\r\n";
  client.send(batchHead("Content-Length: 1048576\r\n") + smuggled + kPing);
  expectAnsweredOnceAndClosed(client, 413, "413 with unread body");
}

TEST_F(IngestEdge, AChunkedBodyOverTheLimitIsTheLastAnswerOnItsConnection) {
  RawClient client(port());
  std::string chunk(100'000, 'x');
  std::string body;
  for (int i = 0; i < 3; ++i) body += "186a0\r\n" + chunk + "\r\n";
  client.send(batchHead("Transfer-Encoding: chunked\r\n") + body + kPing + kPing);
  expectAnsweredOnceAndClosed(client, 413, "chunked over the limit");
}

TEST_F(IngestEdge, ABadChunkIsTheLastAnswerOnItsConnection) {
  RawClient client(port());
  client.send(batchHead("Transfer-Encoding: chunked\r\n") + "-5\r\nhello\r\n0\r\n\r\n" + kPing);
  expectAnsweredOnceAndClosed(client, 400, "bad chunk size");
}

// Item 7: Content-Length abuse is a 400 in JSON (was: 500 with the exception's text, or accepted).
TEST_F(IngestEdge, MalformedContentLengthsAre400AndCloseTheConnection) {
  const std::vector<std::string> framings = {
      "Content-Length: -1\r\n",
      "Content-Length: 9223372036854775808\r\n",   // 2^63
      "Content-Length: 18446744073709551616\r\n",  // 2^64
      "Content-Length: 99999999999999999999999\r\n",
      "Content-Length: +5\r\n",
      "Content-Length: 5\r\nContent-Length: 5\r\n",
      "Content-Length: 5, 5\r\n",
      "Content-Length: 0x5\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
  };
  for (const auto& framing : framings) {
    RawClient client(port());
    client.send(batchHead(framing) + "hello" + kPing);
    expectAnsweredOnceAndClosed(client, 400, framing);
  }
}

TEST_F(IngestEdge, AnUnsupportedTransferEncodingIs501AndClosesTheConnection) {
  RawClient client(port());
  client.send(batchHead("Transfer-Encoding: gzip, chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n" + kPing);
  expectAnsweredOnceAndClosed(client, 501, "gzip, chunked");
}

// Item 5: the head was complete, yet Pistache kept waiting in its header parser for ever.
TEST_F(IngestEdge, AHeaderLineWithoutAColonIs400AndClosesTheConnection) {
  RawClient client(port());
  client.send("GET /healthz HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n" + kPing);
  expectAnsweredOnceAndClosed(client, 400, "header line without a colon");
}

TEST_F(IngestEdge, ObsFoldAndBareLineFeedsInTheHeadAre400) {
  for (const std::string head : {"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n folded\r\n\r\n",
                                 "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: 1\nContent-Length: 5\r\n\r\n",
                                 "GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n"}) {
    RawClient client(port());
    client.send(head + kPing);
    expectAnsweredOnceAndClosed(client, 400, head);
  }
}

// Item 7: the declared size is checked before anything is reserved for it (a 2^62 - 1 reserve
// threw std::length_error inside Pistache's parser: a 500 with "basic_string::_M_create").
TEST_F(IngestEdge, AHugeDeclaredBodyIs413BeforeAnyMemoryIsReservedForIt) {
  for (const char* length : {"4611686018427387903", "1099511627776"}) {
    RawClient client(port());
    client.send(batchHead(std::string("Content-Length: ") + length + "\r\n"));
    expectAnsweredOnceAndClosed(client, 413, length);
  }
}

// Item 7: `Expect: 100-continue` with a body over the limit gets its 413, never a 100 first.
TEST_F(IngestEdge, ExpectContinueOverTheLimitIsAnswered413InsteadOf100) {
  RawClient client(port());
  client.send(batchHead("Content-Length: 1048576\r\nExpect: 100-continue\r\n"));
  expectAnsweredOnceAndClosed(client, 413, "100-continue over the limit");
}

TEST_F(IngestEdge, ExpectContinueWithinTheLimitStillGets100) {
  RawClient client(port());
  client.send(batchHead("Content-Length: 2\r\nExpect: 100-continue\r\n"));
  EXPECT_EQ(client.read().status, 100);
  client.send("[]");
  EXPECT_EQ(client.read().status, 400);  // not a batch: the route's own answer
  client.send(kPing);
  EXPECT_EQ(client.read().status, 200);  // and the connection goes on
}

// Item 5: timeouts. Short ones here; the tests wait for the server to close, with deadlines.
class IngestEdgeTimeouts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    app_ = new EdgeApp([](ingest::IngestConfig& c) {
      c.head_timeout_ms = 1000;
      c.body_timeout_ms = 1000;
      c.idle_timeout_ms = 1000;
    });
  }
  static void TearDownTestSuite() {
    delete app_;
    app_ = nullptr;
  }
  static uint16_t port() { return app_->port(); }
  static EdgeApp* app_;
};
EdgeApp* IngestEdgeTimeouts::app_ = nullptr;

TEST_F(IngestEdgeTimeouts, ASlowLorisIsClosedAfterTheHeadTimeout) {
  RawClient client(port());
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(10'000, 'a') + "\r\n\r\n";
  // One byte, then up to 100 ms for the server to close, then the next, for up to 15 s — far past
  // the 1 s head timeout. (Before, Pistache's own fixed 60 s header timeout was the only bound.)
  bool closed = false;
  const auto until = std::chrono::steady_clock::now() + 15s;
  for (size_t i = 0; i < head.size() && !closed && std::chrono::steady_clock::now() < until; ++i) {
    client.send(std::string_view(head).substr(i, 1));
    closed = client.closedWithin(100ms);
  }
  ASSERT_TRUE(closed) << "a head trickling in for 15 s was not cut off";
  EXPECT_EQ(client.read().status, 408);
}

TEST_F(IngestEdgeTimeouts, ANewConnectionThatSendsNothingIsClosed) {
  RawClient client(port());
  EXPECT_TRUE(client.closedWithin(20s));
}

TEST_F(IngestEdgeTimeouts, ALyingContentLengthIsAnswered408AndClosed) {
  RawClient client(port());
  client.send(batchHead("Content-Length: 100\r\n") + "only ten b");
  expectAnsweredOnceAndClosed(client, 408, "lying Content-Length");
}

TEST_F(IngestEdgeTimeouts, AnUnterminatedChunkedBodyIsAnswered408AndClosed) {
  RawClient client(port());
  client.send(batchHead("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n");
  expectAnsweredOnceAndClosed(client, 408, "unterminated chunked body");
}

TEST_F(IngestEdgeTimeouts, AnIdleKeptAliveConnectionIsClosed) {
  RawClient client(port());
  client.send(kPing);
  const auto r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("connection"), "Keep-Alive");
  EXPECT_TRUE(client.closedWithin(20s));
  EXPECT_EQ(client.unread(), "");  // closed quietly: no answer without a request
}

TEST_F(IngestEdgeTimeouts, AConnectionInUseIsNotClosed) {
  RawClient client(port());
  // Requests every ~200 ms for well over a second: never idle, each head on time.
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    client.send(kPing);
    ASSERT_EQ(client.read().status, 200);
    EXPECT_FALSE(client.closedWithin(200ms));
  }
}

// Item 5: the connection cap — refused at once, the existing connections keep working.
TEST(IngestEdgeLimits, ConnectionsOverTheCapAreRefusedAtOnceWhileExistingOnesWork) {
  EdgeApp app([](ingest::IngestConfig& c) { c.max_connections = 3; });
  std::vector<std::unique_ptr<RawClient>> served;
  for (int i = 0; i < 3; ++i) {
    served.push_back(std::make_unique<RawClient>(app.port()));
    served.back()->send(kPing);
    ASSERT_EQ(served.back()->read().status, 200) << i;
  }
  RawClient over(app.port());
  over.send(kPing);
  const auto r = over.read(5s);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.count("retry-after"), 1u);
  EXPECT_TRUE(over.closedWithin(5s));
  for (auto& c : served) {
    c->send(kPing);
    EXPECT_EQ(c->read().status, 200);
  }
  served.pop_back();  // one leaves: a new connection is served again
  EXPECT_TRUE(waitFor(
      [&] {
        RawClient next(app.port());
        next.send(kPing);
        return next.read(2s).status == 200;
      },
      20s));
}

// Item 5: at the process's descriptor limit new clients timed out (accept() failed with EMFILE,
// and Pistache's level-triggered accept loop spun on it). Now they are refused at once, below it.
TEST(IngestEdgeLimits, NearTheDescriptorLimitNewConnectionsAreRefusedAtOnce) {
  EdgeApp app;
  RawClient first(app.port());
  first.send(kPing);
  ASSERT_EQ(first.read().status, 200);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int lowest_free = ::dup(0);
  ::close(lowest_free);
  // Room for a few more connections below the edge's reserve (256), then the limit.
  rlimit lowered = saved;
  lowered.rlim_cur = static_cast<rlim_t>(lowest_free + 256 + 40);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  std::vector<std::unique_ptr<RawClient>> clients;
  int status = 0;
  for (int i = 0; i < 200 && status != 503; ++i) {
    clients.push_back(std::make_unique<RawClient>(app.port()));
    if (!clients.back()->connected()) break;
    clients.back()->send(kPing);
    status = clients.back()->read(5s).status;
    if (status != 200 && status != 503) break;  // 0: timed out, as at EMFILE
  }
  EXPECT_EQ(status, 503) << "after " << clients.size() << " connections";
  if (status == 503) {
    EXPECT_TRUE(clients.back()->closedWithin(5s));
  }
  first.send(kPing);
  EXPECT_EQ(first.read().status, 200);
  clients.clear();
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace batchrun::testing
