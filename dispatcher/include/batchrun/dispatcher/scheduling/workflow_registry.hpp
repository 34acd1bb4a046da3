#pragma once
// The registered workflows (endpoint, limits, defaults), kept current by following the compacted
// `workflows` topic from the beginning (ingest writes it on PUT/DELETE /v1/workflows/{id}).
// Thread-safe: the follower thread writes, the dispatch loop reads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/records/workflow.hpp"

namespace batchrun::dispatcher {

class WorkflowRegistry {
 public:
  // Applies one record of the workflows topic (a tombstone deletes); else says why it cannot.
  std::string apply(const Message& m);
  void put(Workflow w);
  std::optional<Workflow> find(const std::string& project, const std::string& workflow_id) const;
  size_t size() const;
  // Grows with every change: a cheap "anything new?" for runs waiting for their workflow.
  uint64_t version() const { return version_.load(); }

  // The follower that fills this registry (set by its owner before runs are read, cleared once it
  // stopped); whenCurrent() asks it to catch up.
  void attach(TopicFollower* follower) { follower_.store(follower); }
  // Runs `done` once every registration durable in the topic now has been applied — on the
  // follower's thread, so it must not block. At once when no follower is attached.
  void whenCurrent(std::function<void()> done) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Workflow> by_key_;  // project/workflow_id
  std::atomic<uint64_t> version_{0};
  std::atomic<TopicFollower*> follower_{nullptr};
};

// Follows `topic` into `registry`; caughtUp() once the existing registrations are loaded. A record
// that does not decode goes to `poison`.
Result<std::unique_ptr<TopicFollower>> followWorkflows(const KafkaSettings& kafka, const std::string& topic,
                                                       WorkflowRegistry& registry, PoisonRecords& poison);

}  // namespace batchrun::dispatcher
