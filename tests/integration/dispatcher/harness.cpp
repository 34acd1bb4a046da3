#include "harness.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/json.hpp"
#include "http.hpp"
#include "kafka_env.hpp"
#include "prometheus_text.hpp"
#include "wait.hpp"

namespace batchrun::testing {

using namespace std::chrono_literals;

void EventLog::add(SeenEvent e) {
  std::lock_guard lock(mu_);
  events_.push_back(std::move(e));
}

std::vector<SeenEvent> EventLog::all() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<SeenEvent> EventLog::forRun(const std::string& run_id) const {
  std::vector<SeenEvent> out;
  for (auto& e : all()) {
    if (e.run_id == run_id) out.push_back(e);
  }
  return out;
}

std::vector<SeenEvent> EventLog::ofType(const std::string& type) const {
  std::vector<SeenEvent> out;
  for (auto& e : all()) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

size_t EventLog::count(const std::string& type) const { return ofType(type).size(); }

namespace {
bool terminalType(const std::string& t) {
  return t == event_type::kCompleted || t == event_type::kFailed || t == event_type::kCancelled ||
         t == event_type::kTimedOut;
}
}  // namespace

std::map<std::string, int> EventLog::terminalPerRun() const {
  std::map<std::string, std::set<std::string>> ids;
  for (auto& e : all()) {
    if (terminalType(e.type)) ids[e.run_id].insert(e.id);
  }
  std::map<std::string, int> out;
  for (auto& [run, set] : ids) out[run] = static_cast<int>(set.size());
  return out;
}

std::map<std::string, int> EventLog::terminalStatusCounts() const {
  std::set<std::string> seen;
  std::map<std::string, int> out;
  for (auto& e : all()) {
    if (terminalType(e.type) && seen.insert(e.run_id).second) ++out[e.status];
  }
  return out;
}

DemoWorker::DemoWorker() : port_(freePort()), base_("http://127.0.0.1:" + std::to_string(port_)) {
  process_ = std::make_unique<ChildProcess>(binDir() + "/batchrun-demo-worker",
                                            std::map<std::string, std::string>{{"BATCHRUN_DEMO_WORKER_THREADS", "2"}},
                                            std::vector<std::string>{"--port", std::to_string(port_)});
  if (!waitFor([&] { return httpGet(base_ + "/healthz").status == 200; }, 30s)) {
    ADD_FAILURE() << "demo worker did not start: " << process_->log();
  }
}

rapidjson::Document DemoWorker::stats() const {
  rapidjson::Document d;
  d.Parse(httpGet(base_ + "/stats").body.c_str());
  return d;
}

int DemoWorker::maxInFlight(const std::string& key) const {
  auto d = stats();
  if (d.HasParseError() || !d.HasMember("per_key") || !d["per_key"].HasMember(key.c_str())) return 0;
  return d["per_key"][key.c_str()]["max_in_flight"].GetInt();
}

std::map<std::string, int> DemoWorker::requestsByRun() const {
  std::map<std::string, int> out;
  auto d = stats();
  if (d.HasParseError() || !d.HasMember("by_run")) return out;
  for (auto& m : d["by_run"].GetObject()) out[m.name.GetString()] = m.value.GetInt();
  return out;
}

System::System(int partitions) : kafka_(uniqueKafkaSettings(partitions)), topics_(kafka_) {
  if (auto st = ensureTopics(kafka_, standardTopics(kafka_)); !st) ADD_FAILURE() << st.error().message;
  auto p = Producer::create(kafka_, {{"linger.ms", "5"}});
  if (!p) {
    ADD_FAILURE() << p.error().message;
    return;
  }
  producer_ = std::move(*p);
  // Learn every topic's metadata now, so the first request to a lane is not delayed by a lookup.
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(producer_->handle(), 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
  }
  for (const auto& lane : topics_.laneTopics()) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(producer_->handle(), lane.c_str(), nullptr);
    if (t) rd_kafka_topic_destroy(t);
  }
  auto f = TopicFollower::start(kafka_, {topics_.events}, [this](const Message& m) {
    rapidjson::Document d;
    d.Parse(m.value().data(), m.value().size());
    if (d.HasParseError() || !d.IsObject()) return;
    SeenEvent e;
    if (auto id = m.header(header::kId)) e.id = std::string(*id);
    json::getString(d, "type", e.type);
    if (d.HasMember("data") && d["data"].IsObject()) {
      const auto& data = d["data"];
      json::getString(data, "run_id", e.run_id);
      json::getString(data, "batch_id", e.batch_id);
      json::getString(data, "status", e.status);
      int64_t attempt = 0;
      if (json::getInt(data, "attempt", attempt)) e.attempt = static_cast<int>(attempt);
      if (data.HasMember("error") && data["error"].IsObject()) json::getString(data["error"], "code", e.error_code);
    }
    e.body = std::string(m.value());
    e.received_ms = SystemClock::instance().nowMs();
    events_.add(std::move(e));
  });
  if (!f) ADD_FAILURE() << f.error().message;
  else follower_ = std::move(*f);
}

System::~System() {
  for (auto& d : dispatchers_) {
    if (d.process->running()) d.process->stop(15, 20000);
  }
  if (follower_) follower_->stop();
}

size_t System::startDispatcher(std::map<std::string, std::string> env) {
  Proc p;
  p.port = freePort();
  std::map<std::string, std::string> e = {
      {"BATCHRUN_KAFKA_BROKERS", kafka_.brokers},
      {"BATCHRUN_TOPIC_PREFIX", kafka_.topic_prefix},
      {"BATCHRUN_KAFKA_PARTITIONS", std::to_string(kafka_.partitions)},
      {"BATCHRUN_DISPATCHER_PORT", std::to_string(p.port)},
      {"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"},
      {"BATCHRUN_WORKER_SECRET", "test-worker-secret"},
      {"BATCHRUN_DISPATCHER_RETRY_BASE_MS", "100"},
      {"BATCHRUN_DISPATCHER_DRAIN_MS", "2000"},
  };
  for (auto& [k, v] : env) e[k] = v;
  p.process = std::make_unique<ChildProcess>(binDir() + "/batchrun-dispatcher", e);
  dispatchers_.push_back(std::move(p));
  return dispatchers_.size() - 1;
}

std::string System::dispatcherUrl(size_t i) const {
  return "http://127.0.0.1:" + std::to_string(dispatchers_[i].port);
}

bool System::dispatcherReady(size_t i) const { return httpGet(dispatcherUrl(i) + "/readyz").status == 200; }

std::string System::metrics(size_t i) const { return httpGet(dispatcherUrl(i) + "/metrics").body; }

double System::metric(size_t i, const std::string& series) const {
  return seriesValue(metrics(i), series).value_or(-1);
}

void System::registerWorkflow(const Workflow& w) {
  OutMessage m;
  m.topic = topics_.workflows;
  m.key = w.key();
  m.value = encodeWorkflow(w);
  auto r = producer_->produceSync(std::move(m));
  if (!r || !r->ok) ADD_FAILURE() << "workflow registration not produced";
}

Run System::makeRun(const std::string& workflow_id, const std::string& input, int priority) const {
  Run r;
  r.run_id = uuidv7();
  r.project = "test";
  r.workflow_id = workflow_id;
  r.input = input;
  r.priority = priority;
  r.lane = laneFor(kafka_.lanes, priority).name;
  r.created_at = SystemClock::instance().nowMs();
  r.timeout_seconds = 60;
  r.max_attempts = 3;
  return r;
}

void System::submit(Run& run) {
  std::vector<Run> one{run};
  submitAll(one);
  run = one[0];
}

void System::submitAll(std::vector<Run>& runs) {
  for (auto& run : runs) {
    // Same spread as a key partitioner; the test only needs it stable per routing key.
    run.partition = static_cast<int32_t>(std::hash<std::string>{}(run.routingKey()) % static_cast<size_t>(kafka_.partitions));
    OutMessage m;
    m.topic = topics_.requested(run.lane);
    m.key = run.routingKey();
    m.value = encodeRun(run);
    m.partition = run.partition;
    m.headers = {{"batch_id", run.batch_id}, {"project", run.project}};
    while (!producer_->produce(std::move(m), nullptr, nullptr)) {
      producer_->flush(100);  // local queue full: let it drain
    }
  }
  if (producer_->flush(30000) != 0) ADD_FAILURE() << "run requests not delivered";
}

void System::cancel(const Run& run) {
  ControlMessage c;
  c.type = ControlMessage::Type::kCancel;
  c.run_id = run.run_id;
  c.project = run.project;
  c.requested_at = SystemClock::instance().nowMs();
  OutMessage m;
  m.topic = topics_.control;
  m.key = run.run_id;
  m.value = encodeControl(c);
  m.partition = run.partition;
  auto r = producer_->produceSync(std::move(m));
  if (!r || !r->ok) ADD_FAILURE() << "cancel not produced";
}

void System::result(const Run& run, bool success, const std::string& output_or_error, int attempt) {
  ControlMessage c;
  c.type = ControlMessage::Type::kResult;
  c.run_id = run.run_id;
  c.project = run.project;
  c.success = success;
  if (success) c.output = output_or_error; else c.error_code = output_or_error;
  c.attempt = attempt;
  c.requested_at = SystemClock::instance().nowMs();
  OutMessage m;
  m.topic = topics_.control;
  m.key = run.run_id;
  m.value = encodeControl(c);
  m.partition = run.partition;
  auto r = producer_->produceSync(std::move(m));
  if (!r || !r->ok) ADD_FAILURE() << "result not produced";
}

}  // namespace batchrun::testing
