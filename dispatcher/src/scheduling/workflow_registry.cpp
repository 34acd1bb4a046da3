#include "batchrun/dispatcher/scheduling/workflow_registry.hpp"

#include "batchrun/common/logging.hpp"

namespace batchrun::dispatcher {

std::string WorkflowRegistry::apply(const Message& m) {
  std::string key(m.key());
  if (m.value().empty()) {
    std::lock_guard lock(mu_);
    by_key_.erase(key);
    ++version_;
    return {};
  }
  auto w = decodeWorkflow(m.value());
  if (!w) return w.error().message;
  std::lock_guard lock(mu_);
  by_key_[key] = std::move(*w);
  ++version_;
  return {};
}

void WorkflowRegistry::put(Workflow w) {
  std::lock_guard lock(mu_);
  by_key_[w.key()] = std::move(w);
  ++version_;
}

void WorkflowRegistry::whenCurrent(std::function<void()> done) const {
  if (TopicFollower* f = follower_.load()) {
    f->syncThen(std::move(done));
  } else {
    done();
  }
}

std::optional<Workflow> WorkflowRegistry::find(const std::string& project, const std::string& workflow_id) const {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(project + "/" + workflow_id);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

size_t WorkflowRegistry::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

Result<std::unique_ptr<TopicFollower>> followWorkflows(const KafkaSettings& kafka, const std::string& topic,
                                                       WorkflowRegistry& registry, PoisonRecords& poison) {
  return TopicFollower::start(kafka, {topic}, poison.guard([&registry](const Message& m) { return registry.apply(m); }));
}

}  // namespace batchrun::dispatcher
