// RunView's index: where a run's fields live — its own entry, or a slot of a request's block
// while its runs are queued (a request with consecutive run ids is held as one block, ≈ 24 bytes
// a run) — and moving a run out of its block when its first state record arrives.
#include <algorithm>
#include <mutex>

#include "batchrun/ingest/read/run_index.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

void RunView::indexRequestLocked(const RunIndex& request) {
  Indexed f;
  f.project = request.project;
  f.batch_id = request.batch_id;
  f.created_at = request.created_at;
  f.batch_size = request.batch_size;
  // The record names its project, lanes and workflows once: each is looked up once.
  f.project_id = projects_.intern(f.project);
  std::vector<uint16_t> lanes;
  lanes.reserve(request.lanes.size());
  for (auto lane : request.lanes) lanes.push_back(topicIdLocked(lane_prefix_ + std::string(lane)));
  std::vector<uint32_t> workflows;
  workflows.reserve(request.workflows.size());
  for (auto w : request.workflows) workflows.push_back(workflows_.intern(w));
  if (isRange(request) && indexBlockLocked(request, f.project_id, lanes, workflows)) {
    maybeForgetLocked(request.runs.size());
    return;
  }
  size_t indexed = 0;
  for (const RunIndexEntry& r : request.runs) {
    if (r.partition < 0) continue;
    f.run_id = r.run_id;
    f.workflow_id = request.workflows[r.workflow];
    f.workflow = workflows[r.workflow];
    indexLocked(f, {}, Where{r.partition, lanes[r.lane], r.offset});
    ++indexed;
  }
  maybeForgetLocked(indexed);
}

bool RunView::indexBlockLocked(const RunIndex& request, uint32_t project, const std::vector<uint16_t>& lanes,
                               const std::vector<uint32_t>& workflows) {
  const size_t n = request.runs.size();
  if (n < 2 || request.batch_id.empty()) return false;
  if (request.created_at > 0 && request.created_at < cutoff_ms_) return true;  // past the retention
  Key first{project, {}};
  if (!parseUuid(request.runs.front().run_id, first.id)) return false;
  const Key last{project, uuidPlus(first.id, n - 1)};
  // Held already (a later state read before this record, the record read twice): run by run.
  if (auto m = runs_.lower_bound(first); m != runs_.end() && !(last < m->first)) return false;
  auto next = blocks_.upper_bound(last);
  if (next != blocks_.begin()) {
    size_t slot;
    const auto& prev = *std::prev(next);
    if (!(prev.first < first) || inBlock(prev, first, slot)) return false;
  }
  Block block;
  block.batch = batchLocked(project, request.batch_id);
  block.created_at = request.created_at;
  block.live = n;
  block.slots.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const RunIndexEntry& r = request.runs[i];
    block.slots[i] = Slot{r.offset, r.partition, workflows[r.workflow], lanes[r.lane], false};
  }
  auto it = blocks_.emplace_hint(next, first, std::move(block));
  block_runs_ += n;
  Batch& b = batches_[it->second.batch];
  b.blocks.insert(std::upper_bound(b.blocks.begin(), b.blocks.end(), first,
                                   [](const Key& k, Blocks::iterator x) { return k < x->first; }),
                  it);
  b.counts[static_cast<int>(RunStatus::kQueued)] += static_cast<int>(n);
  b.declared = std::max<int>(b.declared, static_cast<int>(request.batch_size));
  if (b.created_at == 0 || (request.created_at > 0 && request.created_at < b.created_at)) b.created_at = request.created_at;
  return true;
}

bool RunView::inBlock(const Blocks::value_type& block, const Key& key, size_t& slot) {
  // uuidPlus adds to the low 64 bits only: the high ones are the block's.
  if (key.project != block.first.project || Key::word(key.id, 0) != Key::word(block.first.id, 0)) return false;
  const uint64_t i = Key::word(key.id, 8) - Key::word(block.first.id, 8);
  if (i >= block.second.slots.size()) return false;
  slot = static_cast<size_t>(i);
  return true;
}

template <typename BlockMap>
auto RunView::liveSlot(BlockMap& blocks, const Key& key, size_t& slot) {
  auto it = blocks.upper_bound(key);
  if (it == blocks.begin()) return blocks.end();
  --it;
  return inBlock(*it, key, slot) && !it->second.slots[slot].moved ? it : blocks.end();
}

std::optional<RunView::SlotAt> RunView::slotLocked(const Key& key) {
  size_t slot = 0;
  auto it = liveSlot(blocks_, key, slot);
  if (it == blocks_.end()) return std::nullopt;
  return SlotAt{it, slot};
}

RunView::Map::iterator RunView::takeFromBlockLocked(SlotAt at) {
  Block& block = at.block->second;
  Slot& s = block.slots[at.slot];
  auto it = runs_.try_emplace(Key{at.block->first.project, uuidPlus(at.block->first.id, at.slot)}).first;
  Entry& e = it->second;
  e.offset = s.offset;
  e.partition = s.partition;
  e.topic = s.topic;
  e.workflow = s.workflow;
  e.created_at = block.created_at;
  e.batch = block.batch;
  addToBatch(batches_[block.batch], it);  // still counted as queued
  s.moved = true;
  --block_runs_;
  if (--block.live == 0) {
    std::erase(batches_[block.batch].blocks, at.block);
    blocks_.erase(at.block);
  }
  return it;
}

RunView::Fields RunView::fieldsOf(const Map::value_type& kv) {
  const Entry& e = kv.second;
  return Fields{kv.first, e.record.get(), e.offset, e.version, e.created_at, e.completed_at,
                e.batch,  e.workflow,     e.partition, e.topic, e.status};
}

RunView::Fields RunView::fieldsOf(const Blocks::value_type& block, size_t slot) {
  const Slot& s = block.second.slots[slot];
  Fields f;
  f.key = Key{block.first.project, uuidPlus(block.first.id, slot)};
  f.offset = s.offset;
  f.created_at = block.second.created_at;
  f.batch = block.second.batch;
  f.workflow = s.workflow;
  f.partition = s.partition;
  f.topic = s.topic;
  return f;
}

std::optional<RunView::Fields> RunView::findLocked(std::string_view project, std::string_view run_id) const {
  Key key;
  if (!parseUuid(run_id, key.id)) return std::nullopt;
  auto p = projects_.find(project);
  if (!p) return std::nullopt;
  key.project = *p;
  if (auto it = runs_.find(key); it != runs_.end()) return fieldsOf(*it);
  size_t slot = 0;
  if (auto b = liveSlot(blocks_, key, slot); b != blocks_.end()) return fieldsOf(*b, slot);
  return std::nullopt;
}

}  // namespace batchrun::ingest
