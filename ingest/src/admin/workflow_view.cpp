#include "batchrun/ingest/admin/workflow_view.hpp"

#include <mutex>

namespace batchrun::ingest {

bool WorkflowView::apply(std::string_view key, std::string_view value, int64_t offset) {
  Entry entry;
  entry.offset = offset;
  if (!value.empty()) {
    auto w = decodeWorkflow(value);
    if (!w) return false;
    entry.workflow = std::move(*w);
  }
  std::unique_lock lock(mu_);
  auto [it, fresh] = entries_.try_emplace(std::string(key));
  if (!fresh && it->second.offset >= offset) return true;  // already have this record or a newer one
  it->second = std::move(entry);
  return true;
}

std::optional<Workflow> WorkflowView::get(std::string_view project, std::string_view workflow_id) const {
  std::string key;
  key.reserve(project.size() + workflow_id.size() + 1);
  key.append(project).append("/").append(workflow_id);
  std::shared_lock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.workflow;
}

size_t WorkflowView::size() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e.workflow.has_value();
  return n;
}

}  // namespace batchrun::ingest
