// ReadPool on a real Pistache endpoint with one HTTP thread: a read waiting in the pool does not
// hold that thread, a full queue hands the writer back, a gone client's answer is skipped, and
// stop() answers what was queued.
#include "batchrun/ingest/read/read_pool.hpp"

#include <gtest/gtest.h>
#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "raw_http_client.hpp"
#include "../../support/wait.hpp"

namespace batchrun::ingest {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

// A gate the pool's jobs wait at until the test opens it.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.wait(lock, [this] { return open_; });
    --waiting_;
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

class Server {
 public:
  Server(int pool_threads, size_t max_queued) : pool_(pool_threads, max_queued, tracker_) {
    using namespace Pistache;
    Rest::Routes::Get(router_, "/slow", [this](const Rest::Request&, Http::ResponseWriter rw) {
      if (auto back = pool_.run(std::move(rw), [this](Http::ResponseWriter& w) {
            gate_.wait();
            ran_++;
            w.send(Http::Code::Ok, "slow");
          })) {
        back->send(Http::Code::Service_Unavailable, "busy");
      }
      return Rest::Route::Result::Ok;
    });
    Rest::Routes::Get(router_, "/fast", [](const Rest::Request&, Http::ResponseWriter rw) {
      rw.send(Http::Code::Ok, "fast");
      return Rest::Route::Result::Ok;
    });
    endpoint_ = std::make_unique<Http::Endpoint>(Address("127.0.0.1", Port(0)));
    endpoint_->init(Http::Endpoint::options().threads(1).flags(Tcp::Options::ReuseAddr));
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  }
  ~Server() {
    gate_.open();
    pool_.stop();
    endpoint_->shutdown();
  }
  uint16_t port() const { return static_cast<uint16_t>(endpoint_->getPort()); }
  Gate& gate() { return gate_; }
  ReadPool& pool() { return pool_; }
  SubmissionTracker& tracker() { return tracker_; }
  int ran() const { return ran_.load(); }

 private:
  SubmissionTracker tracker_;
  Gate gate_;
  std::atomic<int> ran_{0};
  ReadPool pool_;
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

const std::string kSlow = "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
const std::string kFast = "GET /fast HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";

TEST(ReadPool, AWaitingReadDoesNotHoldTheHttpThread) {
  Server server(1, 16);
  RawClient slow(server.port());
  slow.send(kSlow);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.gate().waiting() == 1; }, 10s));
  EXPECT_EQ(server.tracker().live(), 1);  // App::stop() would wait for it
  RawClient fast(server.port());
  fast.send(kFast);
  EXPECT_EQ(fast.read().body, "fast");  // answered while the read still waits
  server.gate().open();
  const auto r = slow.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow");
  EXPECT_TRUE(batchrun::testing::waitFor([&] { return server.tracker().live() == 0; }, 10s));
}

TEST(ReadPool, AFullQueueHandsTheWriterBack) {
  Server server(1, 1);
  RawClient first(server.port()), second(server.port()), third(server.port());
  first.send(kSlow);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.gate().waiting() == 1; }, 10s));
  second.send(kSlow);  // queued behind the first
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.tracker().live() == 2; }, 10s));
  third.send(kSlow);  // over the queue's one place
  const auto refused = third.read();
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, "busy");
  server.gate().open();
  EXPECT_EQ(first.read().status, 200);
  EXPECT_EQ(second.read().status, 200);
}

TEST(ReadPool, AGoneClientsReadIsNotAnswered) {
  Server server(1, 16);
  RawClient blocker(server.port());
  blocker.send(kSlow);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.gate().waiting() == 1; }, 10s));
  {
    RawClient gone(server.port());
    gone.send(kSlow);
    ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.tracker().live() == 2; }, 10s));
  }  // closed while its read is queued
  // Pistache drops the peer when it reads the close; a request after it on a new connection
  // shows the close has been processed (one reactor thread, in order).
  RawClient probe(server.port());
  probe.send(kFast);
  ASSERT_EQ(probe.read().body, "fast");
  server.gate().open();
  EXPECT_EQ(blocker.read().status, 200);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.tracker().live() == 0; }, 10s));
  EXPECT_EQ(server.ran(), 1);  // only the blocker's job ran
}

TEST(ReadPool, StopAnswersWhatWasQueuedAndRefusesLaterReads) {
  Server server(1, 16);
  RawClient a(server.port()), b(server.port());
  a.send(kSlow);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.gate().waiting() == 1; }, 10s));
  b.send(kSlow);
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return server.tracker().live() == 2; }, 10s));
  server.gate().open();
  server.pool().stop();
  EXPECT_EQ(a.read().status, 200);
  EXPECT_EQ(b.read().status, 200);
  RawClient late(server.port());
  late.send(kSlow);
  EXPECT_EQ(late.read().status, 503);
}

}  // namespace
}  // namespace batchrun::ingest
