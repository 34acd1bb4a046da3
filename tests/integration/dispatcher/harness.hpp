#pragma once
// A real system around the dispatcher for integration tests: a fresh topic prefix on the test
// broker, batchrun-demo-worker processes, batchrun-dispatcher processes, a producer that writes
// run requests to lane topics exactly as ingest would (encodeRun, status queued, version 0), and a
// follower that collects every runs.events event.
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "batchrun/common/records/control.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "process.hpp"

namespace batchrun::testing {

struct SeenEvent {
  std::string id;       // ce_id
  std::string type;
  std::string run_id;   // batch.completed: empty
  std::string batch_id;
  int attempt = 0;
  std::string status;
  std::string error_code;
  std::string body;
  int64_t received_ms = 0;  // when the test saw it
};

class EventLog {
 public:
  void add(SeenEvent e);
  std::vector<SeenEvent> all() const;
  std::vector<SeenEvent> forRun(const std::string& run_id) const;
  size_t count(const std::string& type) const;
  // Runs with at least one terminal event, and how many terminal events (by distinct ce_id) each has.
  std::map<std::string, int> terminalPerRun() const;
  std::map<std::string, int> terminalStatusCounts() const;  // status → runs (first terminal of each run)
  std::vector<SeenEvent> ofType(const std::string& type) const;

 private:
  mutable std::mutex mu_;
  std::vector<SeenEvent> events_;
};

class DemoWorker {
 public:
  DemoWorker();
  std::string url(const std::string& path = "/run") const { return base_ + path; }
  rapidjson::Document stats() const;
  int maxInFlight(const std::string& key) const;  // per concurrency key
  std::map<std::string, int> requestsByRun() const;
  ChildProcess& process() { return *process_; }

 private:
  int port_;
  std::string base_;
  std::unique_ptr<ChildProcess> process_;
};

class System {
 public:
  explicit System(int partitions = 3);
  ~System();
  const KafkaSettings& kafka() const { return kafka_; }
  const Topics& topics() const { return topics_; }
  EventLog& events() { return events_; }

  // Starts a dispatcher process; returns its index. Extra env overrides the defaults.
  size_t startDispatcher(std::map<std::string, std::string> env = {});
  ChildProcess& dispatcher(size_t i) { return *dispatchers_[i].process; }
  std::string dispatcherUrl(size_t i) const;
  bool dispatcherReady(size_t i) const;
  std::string metrics(size_t i) const;
  // One series of dispatcher i's /metrics (name with its labels, if any); -1 when absent.
  double metric(size_t i, const std::string& series) const;

  void registerWorkflow(const Workflow& w);
  // A run as ingest would accept it (ids, defaults, lane from priority).
  Run makeRun(const std::string& workflow_id, const std::string& input, int priority = 50) const;
  // Produces the request to its lane topic; partition from the routing key (as librdkafka would
  // spread keys), remembered for control records.
  void submit(Run& run);
  void submitAll(std::vector<Run>& runs);
  void cancel(const Run& run);
  void result(const Run& run, bool success, const std::string& output_or_error, int attempt = 0);

 private:
  struct Proc {
    int port;
    std::unique_ptr<ChildProcess> process;
  };
  KafkaSettings kafka_;
  Topics topics_;
  EventLog events_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<TopicFollower> follower_;
  std::vector<Proc> dispatchers_;
};

}  // namespace batchrun::testing
