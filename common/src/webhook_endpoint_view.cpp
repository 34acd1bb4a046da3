#include "batchrun/common/webhook_endpoint_view.hpp"

#include <mutex>

#include "batchrun/common/logging.hpp"

namespace batchrun {

bool EndpointView::apply(const Message& m) {
  std::string why = applyOrWhy(m);
  if (why.empty()) return true;
  log::warn("skipping undecodable endpoint record", {{"endpoint_id", m.key()}, {"error", why}});
  return false;
}

std::string EndpointView::applyOrWhy(const Message& m) {
  if (m.value().empty()) {
    erase(std::string(m.key()));
    return {};
  }
  auto e = decodeEndpoint(m.value());
  if (!e) return e.error().message;
  upsert(std::move(*e));
  return {};
}

void EndpointView::upsert(WebhookEndpoint e) {
  std::unique_lock lock(mu_);
  if (deleted_.count(e.id)) return;
  auto it = by_id_.find(e.id);
  if (it != by_id_.end() && it->second->updated_at > e.updated_at) return;
  auto ptr = std::make_shared<const WebhookEndpoint>(std::move(e));
  if (it != by_id_.end() && it->second->project != ptr->project) by_project_[it->second->project].erase(ptr->id);
  by_id_[ptr->id] = ptr;
  by_project_[ptr->project][ptr->id] = ptr;
}

void EndpointView::erase(const std::string& id) {
  std::unique_lock lock(mu_);
  deleted_.insert(id);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto p = by_project_.find(it->second->project);
  if (p != by_project_.end()) {
    p->second.erase(id);
    if (p->second.empty()) by_project_.erase(p);
  }
  by_id_.erase(it);
}

EndpointPtr EndpointView::get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<EndpointPtr> EndpointView::forProject(const std::string& project) const {
  std::shared_lock lock(mu_);
  std::vector<EndpointPtr> out;
  auto p = by_project_.find(project);
  if (p == by_project_.end()) return out;
  out.reserve(p->second.size());
  for (const auto& [id, e] : p->second) out.push_back(e);
  return out;
}

size_t EndpointView::size() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

}  // namespace batchrun
