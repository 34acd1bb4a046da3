// bench_ingest: how many runs/s ingest accepts, next to what a raw librdkafka producer pushes to the
// same broker with the same settings (docs/performance.md, "Ingest"). Not a test.
//
//   bench_ingest --url http://127.0.0.1:8080 --key KEY [--connections 8] [--duration 20]
//                [--items 1000] [--item-bytes 1024] [--raw-brokers 127.0.0.1:9092] [--raw-only]
//
// HTTP: each connection is one keep-alive socket on its own thread, posting the same 1,000-item
// batch (items of ~item-bytes) back to back for the duration; an item counts when its 202 came.
// Raw: Producer::create with batchrun's settings (acks=all, idempotence, lz4, linger 5 ms; plus what
// the environment gives the services, e.g. BATCHRUN_KAFKA_CONFIG) sends
// the very records ingest would write (encodeRun of such items, key, batch_id/project headers) to a
// bulk lane topic of a fresh prefix, keeping at most connections × items unacknowledged — the
// same amount in flight as the HTTP clients can have.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/config.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/records/run.hpp"

using namespace batchrun;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string key = "dev-key";
  int connections = 8;
  int duration_s = 20;
  int items = 1000;
  int item_bytes = 1024;
  std::string raw_brokers;
  bool raw_only = false;
};

double processCpuSeconds() {
  rusage use{};
  getrusage(RUSAGE_SELF, &use);
  return static_cast<double>(use.ru_utime.tv_sec + use.ru_stime.tv_sec) +
         static_cast<double>(use.ru_utime.tv_usec + use.ru_stime.tv_usec) / 1e6;
}

std::string pad(int item_bytes) { return std::string(static_cast<size_t>(std::max(0, item_bytes - 40)), 'x'); }

std::string batchBody(const Options& o) {
  std::string p = pad(o.item_bytes);
  std::string body = R"({"workflow_id":"bench","runs":[)";
  for (int i = 0; i < o.items; ++i) {
    if (i) body += ',';
    body += R"({"input":{"i":)" + std::to_string(i) + R"(,"pad":")" + p + "\"}}";
  }
  return body + "]}";
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// One keep-alive connection posting the batch until the deadline; latencies in ms.
void client(const Options& o, int port, const std::string& body, Steady::time_point end, std::atomic<long>& accepted,
            std::atomic<long>& refused, std::vector<double>& latencies) {
  int fd = -1;
  std::string req = "POST /v1/batches HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\nContent-Type: "
                    "application/json\r\nAuthorization: Bearer " + o.key + "\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string buf;
  char chunk[65536];
  while (Steady::now() < end) {
    if (fd < 0) {
      fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        fd = -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      buf.clear();
    }
    auto t0 = Steady::now();
    size_t off = 0;
    while (off < req.size()) {
      ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    size_t head_end = std::string::npos;
    size_t need = 0;
    bool ok = off == req.size();
    while (ok) {
      if (head_end == std::string::npos && (head_end = buf.find("\r\n\r\n")) != std::string::npos) {
        auto cl = buf.find("Content-Length: ");
        need = head_end + 4 + (cl < head_end ? std::stoul(buf.substr(cl + 16)) : 0);
      }
      if (head_end != std::string::npos && buf.size() >= need) break;
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) ok = false; else buf.append(chunk, static_cast<size_t>(n));
    }
    if (!ok) {
      ::close(fd);
      fd = -1;
      continue;
    }
    int status = std::atoi(buf.c_str() + 9);
    bool close_after = buf.substr(0, head_end).find("Connection: Close") != std::string::npos;
    buf.erase(0, need);
    latencies.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    if (status == 202) accepted += o.items; else refused++;
    if (close_after) {
      ::close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) ::close(fd);
}

void runHttp(const Options& o) {
  auto colon = o.url.rfind(':');
  int port = std::atoi(o.url.c_str() + colon + 1);
  const std::string body = batchBody(o);
  std::atomic<long> accepted{0}, refused{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(o.connections));
  const double cpu_before = processCpuSeconds();
  auto start = Steady::now();
  auto end = start + std::chrono::seconds(o.duration_s);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] { client(o, port, body, end, accepted, refused, lat[static_cast<size_t>(c)]); });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Steady::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::printf("ingest  connections=%d items/request=%d item≈%dB body=%zuB duration=%.1fs\n", o.connections, o.items,
              o.item_bytes, body.size(), secs);
  std::printf("ingest  requests=%zu accepted_items=%ld refused=%ld  items/s=%.0f  p50=%.1fms p99=%.1fms\n", all.size(),
              accepted.load(), refused.load(), static_cast<double>(accepted.load()) / secs, percentile(all, 0.5),
              percentile(all, 0.99));
  // The load generator's own CPU (sending bodies, reading answers: mostly the kernel's loopback
  // copies), which the raw phase does not spend: on a shared machine it is taken from ingest.
  if (accepted.load() > 0) {
    std::printf("ingest  client_cpu_per_item=%.2fus\n",
                (processCpuSeconds() - cpu_before) / static_cast<double>(accepted.load()) * 1e6);
  }
}

class Counter final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport& r, void*) override {
    if (r.ok) acked++; else failed++;
  }
  std::atomic<long> acked{0}, failed{0};
};

void runRaw(const Options& o) {
  // The settings the services load (BATCHRUN_KAFKA_PARTITIONS, BATCHRUN_KAFKA_CONFIG, ...), so an
  // override given to ingest applies to the raw producer too; only brokers and prefix are its own.
  EnvReader env;
  KafkaSettings s = loadKafkaSettings(env);
  if (!env.ok()) {
    std::fprintf(stderr, "raw: %s\n", env.report().c_str());
    return;
  }
  s.brokers = o.raw_brokers;
  s.topic_prefix = "bench-raw-" + std::to_string(SystemClock::instance().nowMs()) + ".";
  if (auto st = ensureTopics(s, standardTopics(s)); !st) {
    std::fprintf(stderr, "raw: %s\n", st.error().message.c_str());
    return;
  }
  auto producer = Producer::create(s);
  if (!producer) {
    std::fprintf(stderr, "raw: %s\n", producer.error().message.c_str());
    return;
  }
  Topics topics(s);
  // The records ingest writes for the same items: encodeRun of a queued run, key = run id.
  Run r;
  r.batch_id = uuidv7();
  r.project = "bench";
  r.workflow_id = "bench";
  r.metadata = "{}";
  r.priority = 90;
  r.lane = "bulk";
  r.batch_size = o.items;
  const std::string p = pad(o.item_bytes);
  Counter counter;
  const long window = static_cast<long>(o.connections) * o.items;
  long sent = 0;
  auto start = Steady::now();
  auto end = start + std::chrono::seconds(o.duration_s);
  while (Steady::now() < end) {
    if (sent - counter.acked - counter.failed >= window) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    r.run_id = uuidv7();
    r.batch_index = static_cast<int>(sent % o.items);
    r.input = R"({"i":)" + std::to_string(r.batch_index) + R"(,"pad":")" + p + "\"}";
    r.created_at = SystemClock::instance().nowMs();
    OutMessage m;
    m.topic = topics.requested(r.lane);
    m.key = r.run_id;
    m.value = encodeRun(r);
    // The same headers ingest's requestMessage (run_builder.cpp) writes.
    m.headers = {{"batch_id", r.batch_id}, {"project", r.project}};
    if ((*producer)->produce(std::move(m), &counter, nullptr)) ++sent;
  }
  double secs = std::chrono::duration<double>(Steady::now() - start).count();
  long acked = counter.acked.load();
  (*producer)->flush(30000);
  std::printf("raw     in-flight window=%ld duration=%.1fs acked=%ld failed=%ld  msgs/s=%.0f\n", window, secs, acked,
              counter.failed.load(), static_cast<double>(acked) / secs);
  // The producer's own CPU (this process: encoding, librdkafka's threads) per acknowledged record,
  // to set beside ingest's cpu_per_item: the ratio of client-side costs, whatever the machine's load.
  const double cpu = processCpuSeconds();
  if (acked > 0) std::printf("raw     cpu=%.1fs  cpu_per_msg=%.1fus\n", cpu, cpu / static_cast<double>(acked) * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--url") o.url = next();
    else if (a == "--key") o.key = next();
    else if (a == "--connections") o.connections = std::atoi(next().c_str());
    else if (a == "--duration") o.duration_s = std::atoi(next().c_str());
    else if (a == "--items") o.items = std::atoi(next().c_str());
    else if (a == "--item-bytes") o.item_bytes = std::atoi(next().c_str());
    else if (a == "--raw-brokers") o.raw_brokers = next();
    else if (a == "--raw-only") o.raw_only = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (!o.raw_only) runHttp(o);
  if (!o.raw_brokers.empty()) runRaw(o);
  return 0;
}
