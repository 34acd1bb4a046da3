#include "read_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/ingest/write/run_builder.hpp"
#include "batchrun/ingest/read/run_index.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

namespace batchrun::testing {

using namespace std::chrono_literals;

namespace {
// Counts reports; the tag is the record's index, where its partition and offset are written.
class CountingHandler final : public DeliveryHandler {
 public:
  explicit CountingHandler(size_t n) : partitions(n, -1), offsets(n, -1) {}
  void onDelivery(const DeliveryReport& r, void* tag) override {
    const auto i = static_cast<size_t>(reinterpret_cast<intptr_t>(tag));
    if (r.ok) {
      partitions[i] = r.partition;
      offsets[i] = r.offset;
    } else {
      failed++;
    }
    done++;
  }
  std::vector<int32_t> partitions;
  std::vector<int64_t> offsets;
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
};
}  // namespace

ReadHarness::ReadHarness(int partitions) : settings(uniqueKafkaSettings(partitions)), topics(settings) {
  auto st = ensureTopics(settings, standardTopics(settings));
  EXPECT_TRUE(st) << st.error().message;
  auto p = Producer::create(settings);
  EXPECT_TRUE(p) << p.error().message;
  producer_ = std::move(*p);
}

ReadHarness::~ReadHarness() {
  for (auto& a : apps_) {
    if (a) a->stop();
  }
}

std::string ReadHarness::startIngest() {
  ingest::IngestConfig config;
  config.service.kafka = settings;
  config.service.http_port = 0;
  config.service.create_topics = false;
  config.http_threads = 2;
  config.api_keys.add(sha256Hex(kKeyA), "project-a");
  config.api_keys.add(sha256Hex(kKeyB), "project-b");
  auto app = std::make_unique<ingest::App>(config);
  auto st = app->start();
  EXPECT_TRUE(st) << st.error().message;
  std::string base = "http://127.0.0.1:" + std::to_string(app->port());
  EXPECT_TRUE(waitFor([&] { return httpGet(base + "/readyz").status == 200; }, 60s));
  apps_.push_back(std::move(app));
  return base;
}

void ReadHarness::stopIngest(size_t i) {
  apps_.at(i)->stop();
  apps_.at(i).reset();
}

Run ReadHarness::makeRun(const std::string& project, const std::string& batch_id, int index, int batch_size,
                         const std::string& workflow) {
  Run r;
  r.run_id = uuidv7();
  r.batch_id = batch_id;
  r.project = project;
  r.workflow_id = workflow;
  r.input = "{\"i\":" + std::to_string(index) + "}";
  r.metadata = "{\"tag\":\"t" + std::to_string(index % 3) + "\"}";
  r.priority = 90;
  r.lane = "bulk";
  r.created_at = SystemClock::instance().nowMs();
  r.batch_size = batch_size;
  r.batch_index = index;
  r.partition = index % settings.partitions;
  return r;
}

void ReadHarness::produceAll(std::vector<OutMessage> messages, std::vector<int32_t>* partitions,
                             std::vector<int64_t>* offsets) {
  CountingHandler handler(messages.size());
  int n = static_cast<int>(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    auto& m = messages[i];
    while (true) {
      auto st = producer_->produce(std::move(m), &handler, reinterpret_cast<void*>(static_cast<intptr_t>(i)));
      if (st) break;
      ASSERT_TRUE(st.error().retryable) << st.error().message;
      producer_->flush(100);
    }
  }
  ASSERT_TRUE(waitFor([&] { return handler.done.load() == n; }, 60s));
  ASSERT_EQ(handler.failed.load(), 0);
  if (partitions) *partitions = handler.partitions;
  if (offsets) *offsets = handler.offsets;
}

void ReadHarness::produceLane(const std::vector<Run>& runs) {
  std::vector<OutMessage> out;
  for (const auto& r : runs) {
    Run lane = r;
    lane.partition = -1;  // ingest cannot know it before the produce; the view takes the record's
    lane.version = 0;
    OutMessage m = batchrun::ingest::requestMessage(topics, lane);
    m.partition = r.partition;
    out.push_back(std::move(m));
  }
  std::vector<int32_t> partitions;
  std::vector<int64_t> offsets;
  produceAll(std::move(out), &partitions, &offsets);
  // Then an index record per request (runs of one project and batch in a row), as ingest writes
  // it once a request's lane records are acknowledged.
  std::vector<OutMessage> index;
  for (size_t from = 0; from < runs.size();) {
    size_t to = from + 1;
    while (to < runs.size() && runs[to].batch_id == runs[from].batch_id && runs[to].project == runs[from].project) ++to;
    auto slice = [&](const auto& v) { return std::vector(v.begin() + from, v.begin() + to); };
    auto m = batchrun::ingest::runIndexMessage(topics, "read-harness", slice(runs), slice(partitions), slice(offsets));
    ASSERT_TRUE(m);
    index.push_back(std::move(*m));
    from = to;
  }
  produceAll(std::move(index));
}

void ReadHarness::transitionAll(std::vector<Run*> runs, RunStatus status, bool with_event) {
  std::vector<OutMessage> out;
  int64_t now = SystemClock::instance().nowMs();
  for (Run* r : runs) {
    r->version += 1;
    r->status = status;
    r->updated_at = now;
    if (status == RunStatus::kRunning) {
      r->attempt += 1;
      if (!r->started_at) r->started_at = now;
    }
    if (isTerminal(status)) r->completed_at = now;
    if (status == RunStatus::kCompleted) r->output = "{\"ok\":true}";
    if (status == RunStatus::kFailed) {
      r->error_code = "worker_error";
      r->error_message = "500 from worker";
    }
    OutMessage m;
    m.topic = topics.state;
    m.key = r->run_id;
    m.value = encodeRun(*r);
    m.partition = r->partition;
    out.push_back(std::move(m));
    if (with_event && eventTypeFor(status)) out.push_back(makeRunEvent(topics.events, *r, eventTypeFor(status), now));
  }
  produceAll(std::move(out));
}

void ReadHarness::transition(Run& run, RunStatus status, bool with_event) { transitionAll({&run}, status, with_event); }

void ReadHarness::produceBatchCompleted(const std::string& project, const std::string& batch_id,
                                        const std::vector<Run>& runs) {
  BatchSummary b;
  b.project = project;
  b.batch_id = batch_id;
  b.total = static_cast<int>(runs.size());
  for (const auto& r : runs) b.counts[toString(r.status)]++;
  b.created_at = runs.empty() ? 0 : runs.front().created_at;
  b.completed_at = SystemClock::instance().nowMs();
  std::vector<OutMessage> out;
  out.push_back(makeBatchCompletedEvent(topics.events, b, b.completed_at));
  produceAll(std::move(out));
}

void ReadHarness::flush() { producer_->flush(10000); }

HttpResponse ReadHarness::get(const std::string& base, const std::string& path, const char* key,
                              std::map<std::string, std::string> headers) {
  if (key) headers["Authorization"] = std::string("Bearer ") + key;
  headers["Connection"] = "keep-alive";
  return httpRequest("GET", base + path, {}, headers);
}

HttpResponse ReadHarness::post(const std::string& base, const std::string& path, const std::string& body,
                               const char* key) {
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}, {"Connection", "keep-alive"}};
  if (key) headers["Authorization"] = std::string("Bearer ") + key;
  return httpRequest("POST", base + path, body, headers);
}

}  // namespace batchrun::testing
