#include "batchrun/ingest/write/workflow_check.hpp"

#include <unordered_map>

namespace batchrun::ingest {

std::string unregisteredWorkflowMessage(const std::string& workflow_id, std::string_view alternative) {
  std::string out = "workflow '" + workflow_id +
                    "' is not registered in this project; register it with PUT /v1/workflows/" + workflow_id;
  if (!alternative.empty()) out.append(" or ").append(alternative);
  return out;
}

UnregisteredWorkflow nativeUnregisteredWorkflow(bool is_batch) {
  if (!is_batch) {
    return [](int, const std::string& workflow_id) {
      return FieldError{-1, "workflow_id", unregisteredWorkflowMessage(workflow_id, "give the run a destination")};
    };
  }
  return [](int index, const std::string& workflow_id) {
    return FieldError{index, "runs[" + std::to_string(index) + "].workflow_id",
                      unregisteredWorkflowMessage(workflow_id, "give the item a destination")};
  };
}

std::vector<FieldError> unroutableItems(const std::vector<RunItem>& items, std::string_view project,
                                        const WorkflowView& workflows, const UnregisteredWorkflow& describe) {
  std::vector<FieldError> out;
  // A batch names one or a few workflows, mostly in runs of equal ids: each is looked up once, and
  // an item naming the same workflow as the one before costs a string compare.
  std::unordered_map<std::string_view, bool> registered;
  const std::string* last = nullptr;
  bool last_registered = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const RunItem& item = items[i];
    if (!item.destination.empty()) continue;
    if (!last || *last != item.workflow_id) {
      auto [it, fresh] = registered.try_emplace(item.workflow_id, false);
      if (fresh) it->second = workflows.get(project, item.workflow_id).has_value();
      last = &item.workflow_id;
      last_registered = it->second;
    }
    if (last_registered) continue;
    FieldError e = describe(static_cast<int>(i), item.workflow_id);
    if (!out.empty() && out.back().index == e.index && out.back().field == e.field) continue;
    out.push_back(std::move(e));
    if (out.size() >= kMaxReportedProblems) break;
  }
  return out;
}

}  // namespace batchrun::ingest
