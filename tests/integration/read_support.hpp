#pragma once
// Shared set-up of the read-side tests: an in-process ingest App on a unique topic prefix with two
// projects' keys, and a producer that writes lane, state and event records exactly as ingest and
// the dispatcher do (encodeRun / makeRunEvent), so the read side is driven without a dispatcher.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/app.hpp"
#include "http.hpp"

namespace batchrun::testing {

inline constexpr const char* kKeyA = "key-project-a";
inline constexpr const char* kKeyB = "key-project-b";

class ReadHarness {
 public:
  explicit ReadHarness(int partitions = 3);
  ~ReadHarness();

  // Starts (another) ingest instance on the same topics; returns its base URL once /readyz is 200.
  std::string startIngest();
  void stopIngest(size_t i);
  ingest::App& app(size_t i) { return *apps_.at(i); }

  // A queued run of `project` (batch may be empty), its partition chosen by index.
  Run makeRun(const std::string& project, const std::string& batch_id, int index, int batch_size,
              const std::string& workflow = "wf");
  // Lane records (version 0) as ingest writes them, each to run.partition, then once all are
  // acknowledged a runs.index record (what the read view indexes queued runs by) for each row of
  // runs of one project and batch, as if each were a request.
  void produceLane(const std::vector<Run>& runs);
  // The next state of a run: version+1, status, timestamps; produced to runs.state at run.partition
  // together with its event (as the dispatcher does). Updates `run` in place.
  void transition(Run& run, RunStatus status, bool with_event = true);
  void transitionAll(std::vector<Run*> runs, RunStatus status, bool with_event = true);
  void produceBatchCompleted(const std::string& project, const std::string& batch_id, const std::vector<Run>& runs);
  void flush();

  HttpResponse get(const std::string& base, const std::string& path, const char* key = kKeyA,
                   std::map<std::string, std::string> headers = {});
  HttpResponse post(const std::string& base, const std::string& path, const std::string& body,
                    const char* key = kKeyA);

  KafkaSettings settings;
  Topics topics;

 private:
  // Produces every message and waits for all acks; where each went, if asked.
  void produceAll(std::vector<OutMessage> messages, std::vector<int32_t>* partitions = nullptr,
                  std::vector<int64_t>* offsets = nullptr);
  std::unique_ptr<Producer> producer_;
  std::vector<std::unique_ptr<ingest::App>> apps_;
};

}  // namespace batchrun::testing
