// bench/webhooks: deliveries per second from the webhook-sender to a local always-200 receiver, and
// the lag from event produced to delivered (p50/p99) — alone, and again while a second endpoint of
// the same project hangs on every request (timeout). Not a test: prints a table for
// docs/performance.md ("Webhooks"). Needs a broker: BATCHRUN_KAFKA_BROKERS (127.0.0.1:9092).
//   BENCH_EVENTS (20000) events per burst; BENCH_RATE (1000) events/s of the paced lag run;
//   BENCH_IN_FLIGHT (16) requests in flight per endpoint.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/webhook/app.hpp"

using namespace batchrun;
using Clk = std::chrono::steady_clock;

namespace {

int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clk::now().time_since_epoch()).count();
}

class Receiver {
 public:
  Receiver() {
    Pistache::Rest::Routes::Post(router_, "/hook", [this](const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter rw) {
      auto id = req.headers().tryGetRaw("webhook-id");
      int64_t t = nowUs();
      if (id) {
        std::lock_guard lock(mu_);
        arrived_.emplace(id->value(), t);  // first arrival counts
      }
      rw.send(Pistache::Http::Code::Ok, "");
      return Pistache::Rest::Route::Result::Ok;
    });
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(Pistache::Address("127.0.0.1", Pistache::Port(0)));
    endpoint_->init(Pistache::Http::Endpoint::options().threads(2).flags(Pistache::Tcp::Options::ReuseAddr));
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  }
  ~Receiver() { endpoint_->shutdown(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort())) + "/hook"; }
  size_t count() {
    std::lock_guard lock(mu_);
    return arrived_.size();
  }
  std::unordered_map<std::string, int64_t> take() {
    std::lock_guard lock(mu_);
    return std::move(arrived_);
  }

 private:
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> arrived_;
};

// Accepts connections in the kernel and never answers: every request to it times out.
struct HungListener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  HungListener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4096);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~HungListener() { ::close(fd); }
};

struct Measured {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

class Acks final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport&, void*) override {}
};

// Produces `n` events at `rate`/s (0: as fast as possible), waits for all to arrive, measures.
Measured run(Producer& producer, const Topics& topics, Receiver& rx, int n, int rate) {
  Acks acks;
  std::unordered_map<std::string, int64_t> produced;
  produced.reserve(static_cast<size_t>(n));
  int64_t start = nowUs();
  for (int i = 0; i < n; ++i) {
    if (rate > 0) {
      int64_t due = start + static_cast<int64_t>(i) * 1'000'000 / rate;
      while (nowUs() < due) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    Run r;
    r.run_id = uuidv7();
    r.project = "bench";
    r.workflow_id = "wf";
    r.status = RunStatus::kCompleted;
    r.attempt = 1;
    produced.emplace(runEventId(r, event_type::kCompleted), nowUs());
    auto m = makeRunEvent(topics.events, r, event_type::kCompleted, SystemClock::instance().nowMs());
    while (!producer.produce(std::move(m), &acks, nullptr)) {
      producer.flush(10);
      m = makeRunEvent(topics.events, r, event_type::kCompleted, SystemClock::instance().nowMs());
    }
  }
  while (rx.count() < static_cast<size_t>(n)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto arrived = rx.take();
  std::vector<double> lags;
  int64_t last = 0;
  for (const auto& [id, t] : produced) {
    auto it = arrived.find(id);
    if (it == arrived.end()) continue;
    lags.push_back(static_cast<double>(it->second - t) / 1000.0);
    last = std::max(last, it->second);
  }
  std::sort(lags.begin(), lags.end());
  Measured res;
  res.per_second = static_cast<double>(n) / (static_cast<double>(last - start) / 1e6);
  res.p50_ms = lags[lags.size() / 2];
  res.p99_ms = lags[std::min(lags.size() - 1, lags.size() * 99 / 100)];
  return res;
}

int envInt(const char* name, int dflt) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : dflt;
}

}  // namespace

int main() {
  log::init("bench-webhooks", "error");
  KafkaSettings kafka;
  if (const char* b = std::getenv("BATCHRUN_KAFKA_BROKERS")) kafka.brokers = b;
  kafka.topic_prefix = "bench" + uuidv7().substr(24) + ".";
  kafka.partitions = envInt("BATCHRUN_KAFKA_PARTITIONS", 6);
  if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) {
    std::fprintf(stderr, "topics: %s\n", st.error().message.c_str());
    return 1;
  }
  Topics topics(kafka);
  auto producer = Producer::create(kafka, {{"linger.ms", "5"}});
  if (!producer) return 1;
  Receiver rx;
  HungListener hung;
  int n = envInt("BENCH_EVENTS", 20000);
  int rate = envInt("BENCH_RATE", 1000);

  auto endpoint = [&](const std::string& url) {
    WebhookEndpoint e;
    e.id = newEndpointId();
    e.project = "bench";
    e.url = url;
    e.secrets = {{newWebhookSecret(), 0}};
    e.created_at = e.updated_at = SystemClock::instance().nowMs();
    (void)(*producer)->produceSync({topics.endpoints, e.id, encodeEndpoint(e), {}});
    return e;
  };
  webhook::Config config;
  config.service.kafka = kafka;
  config.service.http_port = 0;
  config.group_id = kafka.topic_prefix + "sender";
  config.delivery.allow_private = config.delivery.allow_plain_http = true;
  config.delivery.max_in_flight_per_endpoint = envInt("BENCH_IN_FLIGHT", config.delivery.max_in_flight_per_endpoint);

  std::printf("| scenario | events | deliveries/s | p50 lag ms | p99 lag ms |\n| --- | --- | --- | --- | --- |\n");
  auto report = [&](const char* name, int events, const Measured& r) {
    std::printf("| %s | %d | %.0f | %.1f | %.1f |\n", name, events, r.per_second, r.p50_ms, r.p99_ms);
    std::fflush(stdout);
  };
  endpoint(rx.url());
  {
    webhook::App app(config);
    if (auto st = app.start(); !st) {
      std::fprintf(stderr, "sender: %s\n", st.error().message.c_str());
      return 1;
    }
    run(**producer, topics, rx, 500, 0);  // warm-up: connections, assignment
    report("burst, one healthy endpoint", n, run(**producer, topics, rx, n, 0));
    report("paced, one healthy endpoint", n / 2, run(**producer, topics, rx, n / 2, rate));
    endpoint("http://127.0.0.1:" + std::to_string(hung.port) + "/hook");
    // Give the sender's endpoint view a moment to see the new endpoint (it follows the topic).
    while (app.endpoints().size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    report("burst, + endpoint timing out (15 s)", n, run(**producer, topics, rx, n, 0));
    report("paced, + endpoint timing out (15 s)", n / 2, run(**producer, topics, rx, n / 2, rate));
    app.stop();
  }
  return 0;
}
