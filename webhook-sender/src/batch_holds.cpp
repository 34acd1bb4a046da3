#include "batchrun/webhook/batch_holds.hpp"

namespace batchrun::webhook {

void BatchHolds::opened(const std::string& endpoint_id, const std::string& batch_id) {
  ++open_[pairKey(endpoint_id, batch_id)];
}

void BatchHolds::closed(const std::string& endpoint_id, const std::string& batch_id) {
  auto it = open_.find(pairKey(endpoint_id, batch_id));
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);
}

void BatchHolds::hold(const std::string& key, const std::string& endpoint_id, const std::string& batch_id,
                      uint64_t ticket) {
  holds_[key] = Hold{endpoint_id, batch_id, ticket, -1};
}

void BatchHolds::forget(const std::string& key) { holds_.erase(key); }

int BatchHolds::open(const std::string& endpoint_id, const std::string& batch_id) const {
  auto it = open_.find(pairKey(endpoint_id, batch_id));
  return it == open_.end() ? 0 : it->second;
}

std::vector<std::string> BatchHolds::release(const Passed& passed, int64_t position) {
  std::vector<std::string> out;
  for (auto it = holds_.begin(); it != holds_.end();) {
    Hold& h = it->second;
    // The end is fixed at the first look after the ticket passed: a later, larger one could keep a
    // busy partition's hold chasing it.
    if (int64_t end = 0; h.retry_end < 0 && passed(h.ticket, end)) h.retry_end = end;
    bool release = h.retry_end >= 0 && position >= h.retry_end && open(h.endpoint_id, h.batch_id) == 0;
    if (release) {
      out.push_back(it->first);
      it = holds_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace batchrun::webhook
