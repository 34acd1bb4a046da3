#include "batchrun/dispatcher/scheduling/scheduler.hpp"

#include <algorithm>

namespace batchrun::dispatcher {

namespace {
std::string workflowLimitId(const RunLimits& l) { return "w/" + l.workflow_key; }
std::string queueLimitId(const RunLimits& l) { return "q/" + l.queue_key; }
}  // namespace

Scheduler::Scheduler(int lanes, double min_lower_share) : lanes_(static_cast<size_t>(std::max(lanes, 1))) {
  double s = std::clamp(min_lower_share, 0.0, 0.9);
  // A lane passed over earns a per decision and spends 1 per slot it takes: its share f satisfies
  // f = a(1 - f), so a = s / (1 - s) gives exactly s.
  accrual_ = s / (1 - s);
}

void Scheduler::push(SchedItem item) {
  LaneState& lane = lanes_[static_cast<size_t>(item.lane)];
  index_[item.run_id] = {item.lane, item.fair_key};
  auto it = lane.keys.try_emplace(item.fair_key).first;
  KeyQueue& q = it->second;
  if (!q.parked && !q.in_ready) {
    lane.ready.push_back(item.fair_key);
    q.in_ready = true;
  }
  q.runs.push_back(std::move(item));
  ++lane.count;
}

void Scheduler::park(int lane, const std::string& key, const std::string& limit_id) {
  lanes_[static_cast<size_t>(lane)].keys[key].parked = true;
  parked_[limit_id].emplace_back(lane, key);
}

void Scheduler::onReleased(const RunLimits& l) {
  for (const std::string& id : {workflowLimitId(l), queueLimitId(l)}) {
    auto it = parked_.find(id);
    if (it == parked_.end()) continue;
    for (auto& [lane, key] : it->second) {
      LaneState& ls = lanes_[static_cast<size_t>(lane)];
      auto k = ls.keys.find(key);
      if (k == ls.keys.end() || !k->second.parked) continue;
      k->second.parked = false;
      if (k->second.runs.empty()) {
        if (!k->second.in_ready) ls.keys.erase(k);
      } else if (!k->second.in_ready) {
        ls.ready.push_back(key);
        k->second.in_ready = true;
      }
    }
    parked_.erase(it);
  }
}

std::optional<SchedItem> Scheduler::takeFromLane(int lane, ConcurrencyLimits& limits) {
  LaneState& ls = lanes_[static_cast<size_t>(lane)];
  while (!ls.ready.empty()) {
    std::string key = std::move(ls.ready.front());
    ls.ready.pop_front();
    auto k = ls.keys.find(key);
    if (k == ls.keys.end()) continue;
    KeyQueue& q = k->second;
    q.in_ready = false;
    if (q.runs.empty()) {  // its runs were removed (cancelled) while it waited for its turn
      if (!q.parked) ls.keys.erase(k);
      continue;
    }
    SchedItem& head = q.runs.front();
    switch (limits.check(head.limits)) {
      case Block::kGlobal:
        ls.ready.push_front(std::move(key));
        q.in_ready = true;
        return std::nullopt;
      case Block::kWorkflow:
        park(lane, key, workflowLimitId(head.limits));
        continue;
      case Block::kQueue:
        park(lane, key, queueLimitId(head.limits));
        continue;
      case Block::kNone:
        break;
    }
    SchedItem item = std::move(head);
    q.runs.pop_front();
    limits.acquire(item.limits);
    index_.erase(item.run_id);
    --ls.count;
    if (q.runs.empty()) {
      ls.keys.erase(k);
    } else {
      ls.ready.push_back(std::move(key));
      q.in_ready = true;
    }
    return item;
  }
  return std::nullopt;
}

std::optional<SchedItem> Scheduler::next(ConcurrencyLimits& limits) {
  while (!limits.globalFull()) {
    int top = -1, chosen = -1;
    for (int i = 0; i < static_cast<int>(lanes_.size()); ++i) {
      LaneState& ls = lanes_[static_cast<size_t>(i)];
      if (ls.ready.empty()) {
        ls.credit = 0;  // only lanes with startable work are owed slots
        continue;
      }
      if (top < 0) top = i;
      else if (chosen < 0 && ls.credit >= 1) chosen = i;
    }
    if (top < 0) return std::nullopt;
    if (chosen < 0) chosen = top;
    auto item = takeFromLane(chosen, limits);
    if (!item) {
      if (limits.globalFull()) return std::nullopt;
      continue;  // every key of that lane is parked now; choose again
    }
    for (int i = top + 1; i < static_cast<int>(lanes_.size()); ++i) {
      LaneState& ls = lanes_[static_cast<size_t>(i)];
      if (i != chosen && !ls.ready.empty()) ls.credit = std::min(ls.credit + accrual_, 2.0);
    }
    if (chosen != top) lanes_[static_cast<size_t>(chosen)].credit -= 1;
    return item;
  }
  return std::nullopt;
}

std::optional<SchedItem> Scheduler::remove(const std::string& run_id) {
  auto it = index_.find(run_id);
  if (it == index_.end()) return std::nullopt;
  auto [lane, key] = it->second;
  index_.erase(it);
  LaneState& ls = lanes_[static_cast<size_t>(lane)];
  auto k = ls.keys.find(key);
  if (k == ls.keys.end()) return std::nullopt;
  auto& runs = k->second.runs;
  auto r = std::find_if(runs.begin(), runs.end(), [&](const SchedItem& s) { return s.run_id == run_id; });
  if (r == runs.end()) return std::nullopt;
  SchedItem out = std::move(*r);
  runs.erase(r);
  --ls.count;
  if (runs.empty() && !k->second.parked && !k->second.in_ready) ls.keys.erase(k);
  return out;
}

std::vector<SchedItem> Scheduler::removeIf(const std::function<bool(const SchedItem&)>& pred) {
  std::vector<std::string> ids;
  for (const LaneState& ls : lanes_) {
    for (const auto& [key, q] : ls.keys) {
      for (const auto& item : q.runs) {
        if (pred(item)) ids.push_back(item.run_id);
      }
    }
  }
  std::vector<SchedItem> out;
  for (const auto& id : ids) {
    if (auto item = remove(id)) out.push_back(std::move(*item));
  }
  return out;
}

}  // namespace batchrun::dispatcher
