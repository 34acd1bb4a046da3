// HttpClient against a real local Pistache server: status/body/headers, timeouts, refused
// connections, the outbound address policy, and a thousand requests in flight on one thread.
#include <gtest/gtest.h>
#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <arpa/inet.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "batchrun/common/http/http_client.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;
using namespace Pistache;

namespace {

// /echo answers 200 with the request body and an x-method header; /status/:code answers that code;
// /hang never answers until the server stops.
class TestServer {
 public:
  TestServer() {
    // The handlers hold the state they touch: Pistache 0.0.5's shutdown does not wait for a
    // request it is still dispatching, so a late /hang may run after this object is gone.
    std::shared_ptr<State> state = state_;
    Rest::Routes::Post(router_, "/echo", [state](const Rest::Request& req, Http::ResponseWriter rw) {
      ++state->requests;
      {
        std::lock_guard lock(state->mu);
        state->peers.insert(req.address().port());
      }
      // Pistache 0.0.5 writes only typed headers: echo what we saw of x-sig through Content-Type.
      bool sig = req.headers().tryGetRaw("x-sig").has_value();
      rw.headers().add<Http::Header::ContentType>(sig ? MIME(Application, Json) : MIME(Text, Plain));
      rw.send(Http::Code::Ok, req.body());
      return Rest::Route::Result::Ok;
    });
    Rest::Routes::Get(router_, "/status/:code", [](const Rest::Request& req, Http::ResponseWriter rw) {
      rw.send(static_cast<Http::Code>(req.param(":code").as<int>()), "status");
      return Rest::Route::Result::Ok;
    });
    Rest::Routes::Post(router_, "/hang", [state](const Rest::Request&, Http::ResponseWriter rw) {
      std::lock_guard lock(state->mu);
      state->hanging.push_back(std::move(rw));  // answered only at shutdown
      return Rest::Route::Result::Ok;
    });
    endpoint_ = std::make_unique<Http::Endpoint>(Address("127.0.0.1", Port(0)));
    endpoint_->init(Http::Endpoint::options().threads(2).maxRequestSize(1 << 20).flags(Tcp::Options::ReuseAddr));
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  }
  ~TestServer() {
    endpoint_->shutdown();
    // Let go of the writers of requests that were never answered, under the lock.
    std::lock_guard lock(state_->mu);
    state_->hanging.clear();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort())) + path;
  }
  int requests() const { return state_->requests.load(); }
  size_t connections() {
    std::lock_guard lock(state_->mu);
    return state_->peers.size();
  }

 private:
  struct State {
    std::atomic<int> requests{0};
    std::mutex mu;
    std::vector<Http::ResponseWriter> hanging;
    std::set<uint16_t> peers;  // client ports seen: one per connection
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  Rest::Router router_;
  std::unique_ptr<Http::Endpoint> endpoint_;
};

// Blocks the test thread until the callback delivered the result.
struct Awaited {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<HttpResult> result;
  HttpClient::Callback callback() {
    return [this](HttpResult&& r) {
      std::lock_guard lock(mu);
      result = std::move(r);
      cv.notify_all();
    };
  }
  HttpResult get() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 30s, [&] { return result.has_value(); });
    return result.value_or([] { HttpResult r; r.error = "no callback within 30 s"; return r; }());
  }
};

HttpResult call(HttpClient& client, HttpRequest req) {
  Awaited a;
  client.submit(std::move(req), a.callback());
  return a.get();
}

const OutboundPolicy kLocal{.allow_private = true, .allow_plain_http = true};

HttpRequest request(std::string method, std::string url, std::string body = {}, long timeout_ms = 15000,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  r.timeout_ms = timeout_ms;
  r.headers = std::move(headers);
  return r;
}

TEST(HttpClient, ReturnsStatusBodyAndLowerCasedHeaders) {
  TestServer server;
  HttpClient client(kLocal);
  auto r = call(client, request("POST", server.url("/echo"), R"({"a":1})", 15000, {{"x-sig", "v1,abc"}}));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"a":1})");
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_EQ(*r.header("content-type"), "application/json");  // the server saw our x-sig header
  ASSERT_NE(r.header("content-length"), nullptr);
  EXPECT_TRUE(r.error.empty());
  EXPECT_FALSE(r.blocked);
  EXPECT_GT(r.seconds, 0);
  // The count drops once the callback has returned, just after it handed us the result.
  EXPECT_TRUE(waitFor([&] { return client.inFlight() == 0; }, 5s));
}

TEST(HttpClient, ReusesOneConnectionForSequentialRequests) {
  TestServer server;
  HttpClient client(kLocal);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(call(client, request("POST", server.url("/echo"), "x")).status, 200);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, PassesNon2xxStatusesThrough) {
  TestServer server;
  HttpClient client(kLocal);
  for (int code : {202, 404, 429, 503}) {
    auto r = call(client, request("GET", server.url("/status/" + std::to_string(code))));
    EXPECT_EQ(r.status, code) << r.error;
  }
}

TEST(HttpClient, TimesOutASilentServer) {
  TestServer server;
  HttpClient client(kLocal);
  auto r = call(client, request("POST", server.url("/hang"), "", 300));
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpClient, ReportsConnectionRefused) {
  HttpClient client(kLocal);
  auto r = call(client, request("POST", "http://127.0.0.1:" + std::to_string(freePort()) + "/x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.blocked);
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpClient, BlocksLoopbackByAddressWhenPrivateIsNotAllowed) {
  TestServer server;
  HttpClient client(OutboundPolicy{.allow_private = false});
  // By IP and by a name that resolves to loopback: the check is on the connected address.
  for (std::string host : {"127.0.0.1", "localhost"}) {
    std::string url = server.url("/echo");
    url.replace(url.find("127.0.0.1"), 9, host);
    auto r = call(client, request("POST", url, "x"));
    EXPECT_TRUE(r.blocked) << host;
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.error, "destination address not allowed");
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClient, RefusesPlainHttpWhenHttpsIsRequired) {
  TestServer server;
  HttpClient client(OutboundPolicy{.allow_private = true, .allow_plain_http = false});
  auto r = call(client, request("POST", server.url("/echo")));
  EXPECT_TRUE(r.blocked);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClient, CarriesAThousandConcurrentRequests) {
  TestServer server;
  HttpClient client(kLocal);
  constexpr int kN = 1000;
  std::atomic<int> ok{0}, done{0};
  std::vector<std::string> bodies(kN);
  for (int i = 0; i < kN; ++i) {
    client.submit(request("POST", server.url("/echo"), "req-" + std::to_string(i)),
                  [&, i](HttpResult&& r) {
                    if (r.status == 200 && r.body == "req-" + std::to_string(i)) ++ok;
                    ++done;
                  });
  }
  ASSERT_TRUE(waitFor([&] { return done.load() == kN; }, 60s)) << done.load();
  EXPECT_EQ(ok.load(), kN);
  EXPECT_EQ(client.inFlight(), 0u);
}

// More requests than the client may have in flight: the rest wait their turn in order, all are
// answered, and no more connections are opened than allowed.
TEST(HttpClient, QueuesBeyondItsConnectionLimit) {
  TestServer server;
  HttpClient client(kLocal, /*max_total_connections=*/4);
  constexpr int kN = 300;
  std::atomic<int> ok{0}, done{0};
  for (int i = 0; i < kN; ++i) {
    client.submit(request("POST", server.url("/echo"), "q-" + std::to_string(i)), [&, i](HttpResult&& r) {
      if (r.status == 200 && r.body == "q-" + std::to_string(i)) ++ok;
      ++done;
    });
  }
  ASSERT_TRUE(waitFor([&] { return done.load() == kN; }, 60s)) << done.load();
  EXPECT_EQ(ok.load(), kN);
  EXPECT_LE(server.connections(), 4u);
  EXPECT_EQ(client.inFlight(), 0u);
}

// A request that waited for a free connection longer than its timeout ends as a timeout without
// being sent; one with time left is sent when the slot frees.
TEST(HttpClient, WaitingForAConnectionCountsAgainstTheTimeout) {
  TestServer server;
  HttpClient client(kLocal, /*max_total_connections=*/1);
  Awaited blocker, expired, sent;
  client.submit(request("POST", server.url("/hang"), "", 400), blocker.callback());
  ASSERT_TRUE(waitFor([&] { return client.inFlight() == 1; }, 5s));
  client.submit(request("POST", server.url("/echo"), "late", 50), expired.callback());
  client.submit(request("POST", server.url("/echo"), "in time", 20000), sent.callback());
  EXPECT_TRUE(blocker.get().timed_out);
  auto e = expired.get();
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.error, "timed out waiting for a free connection");
  auto s = sent.get();
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.body, "in time");
  EXPECT_EQ(server.requests(), 1);  // /echo once: the expired request never reached the server
}

TEST(HttpClient, StopAbandonsInFlightWithoutCallbacks) {
  TestServer server;
  std::atomic<int> called{0};
  {
    HttpClient client(kLocal);
    client.submit(request("POST", server.url("/hang"), "", 60000), [&](HttpResult&&) { ++called; });
    ASSERT_TRUE(waitFor([&] { return client.inFlight() == 1; }, 5s));
    client.stop();
  }
  EXPECT_EQ(called.load(), 0);
}

// A sender (the webhook Deliverer's pump) may still submit while the owner stops the client: the
// late requests are dropped without callbacks and never touch the freed curl handle (TSan/ASan).
TEST(HttpClient, SubmitRacingStopIsDroppedSafely) {
  TestServer server;
  HttpClient client(kLocal);
  std::atomic<bool> go{true};
  std::atomic<int> submitted{0};
  std::thread sender([&] {
    while (go.load()) {
      client.submit(request("POST", server.url("/hang"), "", 60000), [](HttpResult&&) {});
      ++submitted;
    }
  });
  ASSERT_TRUE(waitFor([&] { return submitted.load() > 50; }, 10s));
  client.stop();
  int after_stop = submitted.load();
  ASSERT_TRUE(waitFor([&] { return submitted.load() > after_stop + 50; }, 10s));  // still submitting
  go.store(false);
  sender.join();
  EXPECT_EQ(client.inFlight(), 0u);
}

TEST(OutboundPolicy, ClassifiesPrivateAndPublicAddresses) {
  auto v4 = [](const char* s) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, s, &a.sin_addr);
    return isPrivateAddress(reinterpret_cast<sockaddr*>(&a));
  };
  auto v6 = [](const char* s) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, s, &a.sin6_addr);
    return isPrivateAddress(reinterpret_cast<sockaddr*>(&a));
  };
  for (auto* s : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                  "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(v4(s)) << s;
  }
  for (auto* s : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "93.184.216.34"}) EXPECT_FALSE(v4(s)) << s;
  for (auto* s : {"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
                  "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe"}) {
    EXPECT_TRUE(v6(s)) << s;
  }
  for (auto* s : {"2001:4860:4860::8888", "::ffff:8.8.8.8"}) EXPECT_FALSE(v6(s)) << s;
}

}  // namespace
