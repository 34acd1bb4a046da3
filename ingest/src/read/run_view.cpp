#include "batchrun/ingest/read/run_view.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/records/handover_marker.hpp"
#include "batchrun/ingest/read/run_index.hpp"

namespace batchrun::ingest {

std::string canonicalBatchId(std::string id) {
  Uuid u;
  return parseUuid(id, u) ? formatUuid(u) : id;
}

uint32_t RunView::Names::intern(std::string_view name) {
  auto it = ids.find(name);
  if (it != ids.end()) return it->second;
  auto id = static_cast<uint32_t>(names.size());
  names.emplace_back(name);
  ids.emplace(names.back(), id);
  return id;
}

std::optional<uint32_t> RunView::Names::find(std::string_view name) const {
  auto it = ids.find(name);
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

RunView::~RunView() { stop(); }

Status RunView::follow(const KafkaSettings& settings, std::function<bool()> kafka_reachable,
                       std::shared_ptr<FollowerHub> hub) {
  Topics topics(settings);
  lane_prefix_ = topics.requested("");
  if (!reader_) {
    // Two consumers: reads of different runs proceed in parallel; more wait for one.
    KafkaRecordReader::Options options;
    options.reachable = std::move(kafka_reachable);
    auto reader = KafkaRecordReader::create(settings, options);
    if (!reader) return reader.error();
    reader_ = std::move(*reader);
  }
  // Queued runs from the index records (one per request: following the lane records themselves
  // cost ≈ 10 % of ingest's CPU at full rate), later states from runs.state.
  auto follower = TopicFollower::start(
      settings, {topics.run_index, topics.state},
      [this, index = topics.run_index](const Message& m) { applyFollowed(m, index); }, 15000, std::move(hub));
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  return {};
}

void RunView::setReader(std::unique_ptr<RecordReader> reader, std::string lane_topic_prefix) {
  reader_ = std::move(reader);
  lane_prefix_ = std::move(lane_topic_prefix);
}

bool RunView::caughtUp() const { return follower_ && follower_->caughtUp(); }

void RunView::stop() {
  if (follower_) follower_->stop();
}

uint16_t RunView::topicIdLocked(std::string_view topic) { return static_cast<uint16_t>(topics_.intern(topic)); }

bool RunView::apply(std::string_view record, int32_t partition, std::string_view topic, int64_t offset) {
  std::unique_lock lock(mu_);
  Where where{partition, topic.empty() ? uint16_t{0} : topicIdLocked(topic), topic.empty() ? -1 : offset};
  const bool ok = applyLocked(std::string(record), where);
  maybeForgetLocked(1);
  return ok;
}

void RunView::applyFollowed(const Message& m, const std::string& index_topic) {
  const char* topic = rd_kafka_topic_name(m.raw()->rkt);
  if (std::strcmp(topic, index_topic.c_str()) != 0) {
    if (isHandoverMarker(m)) return;  // a dispatcher's, not a run
    if (!apply(m.value(), m.partition(), topic, m.offset())) {
      log::warn("read view: undecodable run record", {{"topic", m.topic()}});
    }
    return;
  }
  // This instance's own requests were indexed by noteAccepted before their index record was written.
  if (auto from = m.header(kInstanceHeader); from && *from == instance_) return;
  if (!applyIndex(m.value())) log::warn("read view: undecodable run index record", {{"topic", m.topic()}});
}

bool RunView::applyIndex(std::string_view record) {
  std::string buffer(record);
  RunIndex index;
  if (!decodeRunIndex(buffer, index)) return false;
  std::unique_lock lock(mu_);
  indexRequestLocked(index);
  return true;
}

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

void RunView::noteAccepted(const RunIndex& request) {
  std::unique_lock lock(mu_);
  indexRequestLocked(request);
}

void RunView::noteAccepted(const std::vector<Run>& runs, const std::vector<int32_t>& partitions,
                           const std::vector<int64_t>& offsets) {
  noteAccepted(AcceptedRequest(runs, partitions, offsets).index());
}

bool RunView::applyLocked(std::string record, const Where& where) {
  rapidjson::Document d;
  d.Parse(record.data(), record.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  Indexed f;
  f.run_id = json::getStringView(d, "run_id");
  f.project = json::getStringView(d, "project");
  if (f.run_id.empty() || f.project.empty()) return false;
  f.batch_id = json::getStringView(d, "batch_id");
  f.workflow_id = json::getStringView(d, "workflow_id");
  json::getInt(d, "created_at", f.created_at);
  json::getInt(d, "completed_at", f.completed_at);
  json::getInt(d, "version", f.version);
  json::getInt(d, "batch_size", f.batch_size);
  if (auto it = d.FindMember("status"); it != d.MemberEnd()) {
    auto s = it->value.IsString() ? parseRunStatus(it->value.GetString()) : std::nullopt;
    if (!s) return false;
    f.status = *s;
  }
  // A record with a position is read back from Kafka when served; its bytes are not kept.
  return indexLocked(f, where.offset >= 0 ? std::string() : std::move(record), where);
}

bool RunView::indexLocked(const Indexed& f, std::string record, const Where& where) {
  // Past the retention (run_view_retention.cpp): forgotten, or about to be.
  if (f.created_at > 0 && f.created_at < cutoff_ms_) return true;
  Key key;
  if (!parseUuid(f.run_id, key.id)) return false;
  key.project = f.project_id != kNotInterned ? f.project_id : projects_.intern(f.project);
  // Run ids are time-ordered (UUIDv7), so a new run nearly always goes last: try that first
  // instead of descending the tree (cache misses on every level once it holds millions).
  Map::iterator it;
  bool inserted = false;
  if (auto at = blocks_.empty() ? std::nullopt : slotLocked(key)) {
    // Held queued in a block: only a later version (or another batch's request) moves it out.
    const uint32_t batch = at->block->second.batch;
    if (f.version <= 0 && (f.batch_id.empty() || batches_[batch].id == f.batch_id)) return true;
    it = takeFromBlockLocked(*at);
  } else {
    const size_t before = runs_.size();
    it = !runs_.empty() && std::prev(runs_.end())->first < key ? runs_.try_emplace(runs_.end(), key)
                                                               : runs_.try_emplace(key).first;
    inserted = runs_.size() != before;
  }
  Entry& e = it->second;
  if (!inserted && !f.batch_id.empty()) aliasLocked(it, f);
  if (!inserted) {
    // The highest version wins; equal versions are the same transition seen twice (the second
    // sighting may know where it sits).
    if (f.version <= e.version) {
      if (f.version == e.version && e.offset < 0 && where.offset >= 0) {
        e.topic = where.topic;
        e.offset = where.offset;
        e.record.reset();
      }
      if (e.partition < 0 && where.partition >= 0) e.partition = where.partition;
      return true;
    }
    forEachBatchLocked(it->first, e, [&](Batch& b) { --b.counts[static_cast<int>(e.status)]; });
  } else {
    e.workflow = f.workflow != kNotInterned ? f.workflow : workflows_.intern(f.workflow_id);
    e.created_at = f.created_at;
    if (!f.batch_id.empty()) {
      e.batch = batchLocked(key.project, f.batch_id);
      Batch& b = batches_[e.batch];
      addToBatch(b, it);
      if (b.created_at == 0 || (f.created_at > 0 && f.created_at < b.created_at)) b.created_at = f.created_at;
    }
  }
  e.record = record.empty() ? nullptr : std::make_unique<std::string>(std::move(record));
  e.topic = where.topic;
  e.offset = where.offset;
  e.version = f.version;
  e.status = f.status;
  e.completed_at = f.completed_at;
  if (where.partition >= 0) e.partition = where.partition;
  if (e.batch != kNoBatch) batches_[e.batch].declared = std::max<int>(batches_[e.batch].declared, static_cast<int>(f.batch_size));
  forEachBatchLocked(it->first, e, [&](Batch& b) {
    ++b.counts[static_cast<int>(e.status)];
    if (isTerminal(e.status)) b.completed_at = std::max(b.completed_at, f.completed_at);
  });
  return true;
}

uint32_t RunView::batchLocked(uint32_t project, std::string_view batch_id) {
  if (last_batch_ != kNoBatch && batches_[last_batch_].project == project && batches_[last_batch_].id == batch_id) {
    return last_batch_;
  }
  std::string bkey = std::to_string(project) + "/" + std::string(batch_id);
  auto [bit, fresh] = batch_ids_.try_emplace(std::move(bkey), kNoBatch);
  if (fresh) {
    // The slot of a forgotten batch if there is one (run_view_retention.cpp).
    if (free_batches_.empty()) {
      bit->second = static_cast<uint32_t>(batches_.size());
      batches_.emplace_back();
    } else {
      bit->second = free_batches_.back();
      free_batches_.pop_back();
    }
    batches_[bit->second].project = project;
    batches_[bit->second].id = batch_id;
  }
  return last_batch_ = bit->second;
}

void RunView::addToBatch(Batch& b, Map::iterator it) {
  // Runs of a batch mostly arrive in id order, so this is nearly always an append.
  const Key& key = it->first;
  if (b.runs.empty() || b.runs.back()->first < key) {
    b.runs.push_back(it);
  } else {
    b.runs.insert(std::upper_bound(b.runs.begin(), b.runs.end(), key,
                                   [](const Key& k, Map::const_iterator r) { return k < r->first; }),
                  it);
  }
}

void RunView::aliasLocked(Map::iterator it, const Indexed& f) {
  // A request of another batch for a run already held: two ingest instances took the same
  // per-item idempotency key at once, so both batches hold the one run and count its status.
  Entry& e = it->second;
  // Nearly always the run's own batch (its state records): decided without a batch lookup.
  if (e.batch != kNoBatch && batches_[e.batch].id == f.batch_id) return;
  const uint32_t b = batchLocked(it->first.project, f.batch_id);
  auto& extra = aliases_[it->first];
  if (std::find(extra.begin(), extra.end(), b) != extra.end()) return;
  extra.push_back(b);
  Batch& batch = batches_[b];
  addToBatch(batch, it);
  ++batch.counts[static_cast<int>(e.status)];
  batch.declared = std::max<int>(batch.declared, static_cast<int>(f.batch_size));
  if (batch.created_at == 0 || (f.created_at > 0 && f.created_at < batch.created_at)) batch.created_at = f.created_at;
  if (isTerminal(e.status)) batch.completed_at = std::max(batch.completed_at, e.completed_at);
}

Run RunView::summaryOf(const Fields& f) const {
  Run r;
  r.run_id = formatUuid(f.key.id);
  r.project = projects_.names[f.key.project];
  r.workflow_id = workflows_.names[f.workflow];
  if (f.batch != kNoBatch) {
    r.batch_id = batches_[f.batch].id;
    r.batch_size = batches_[f.batch].declared;
  }
  r.status = f.status;
  r.created_at = f.created_at;
  r.completed_at = f.completed_at;
  r.version = f.version;
  r.partition = f.partition;
  return r;
}

RunView::Pending RunView::pendingOf(const Fields& f) const {
  Pending p{summaryOf(f), f.record ? *f.record : std::string(), {}};
  if (f.offset >= 0) p.ref = RecordRef{topics_.names[f.topic], f.partition, f.offset};
  return p;
}

Result<std::vector<Run>> RunView::serve(std::vector<Pending> pending) const {
  // Read outside the view's lock: a Kafka round trip must not hold up the follower or writers.
  std::vector<RecordRef> refs;
  std::vector<size_t> fetched;
  toRead(pending, refs, fetched);
  if (!refs.empty()) {
    auto values = reader_->read(refs);
    if (!values) return values.error();
    for (size_t j = 0; j < fetched.size(); ++j) {
      if ((*values)[j]) pending[fetched[j]].record = std::move(*(*values)[j]);
    }
  }
  return decode(pending);
}

void RunView::toRead(const std::vector<Pending>& pending, std::vector<RecordRef>& refs,
                     std::vector<size_t>& slots) const {
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].record.empty() && pending[i].ref.offset >= 0 && reader_) {
      refs.push_back(pending[i].ref);
      slots.push_back(i);
    }
  }
}

bool RunView::fillCached(std::vector<Pending>& pending) const {
  std::vector<RecordRef> refs;
  std::vector<size_t> slots;
  toRead(pending, refs, slots);
  if (refs.empty()) return true;
  auto values = reader_->readCached(refs);
  if (!values) return false;
  for (size_t j = 0; j < slots.size(); ++j) pending[slots[j]].record = std::move((*values)[j]);
  return true;
}

std::vector<Run> RunView::decode(std::vector<Pending>& pending) {
  std::vector<Run> out;
  out.reserve(pending.size());
  for (auto& p : pending) {
    // A record gone from Kafka (retention), or never readable here: the index fields are what is known.
    auto run = p.record.empty() ? Result<Run>(Error::notFound("no record")) : decodeRun(p.record);
    if (!run || run->run_id != p.run.run_id) {
      out.push_back(std::move(p.run));
      continue;
    }
    run->partition = p.run.partition;
    out.push_back(std::move(*run));
  }
  return out;
}

std::optional<Run> RunView::summary(std::string_view project, std::string_view run_id) const {
  std::shared_lock lock(mu_);
  const auto f = findLocked(project, run_id);
  if (!f) return std::nullopt;
  return summaryOf(*f);
}

bool RunView::pendingRun(std::string_view project, std::string_view run_id, std::vector<Pending>& pending) const {
  std::shared_lock lock(mu_);
  const auto f = findLocked(project, run_id);
  if (!f) return false;
  pending.push_back(pendingOf(*f));
  return true;
}

Result<std::optional<Run>> RunView::get(std::string_view project, std::string_view run_id) const {
  std::vector<Pending> pending;
  if (!pendingRun(project, run_id, pending)) return std::optional<Run>();
  auto runs = serve(std::move(pending));
  if (!runs) return runs.error();
  return std::optional<Run>(std::move(runs->front()));
}

std::optional<std::optional<Run>> RunView::getNow(std::string_view project, std::string_view run_id) const {
  std::vector<Pending> pending;
  if (!pendingRun(project, run_id, pending)) return std::optional<Run>();
  if (!fillCached(pending)) return std::nullopt;
  return std::optional<Run>(std::move(decode(pending).front()));
}

std::optional<uint32_t> RunView::findBatch(uint32_t project, std::string_view batch_id) const {
  auto it = batch_ids_.find(std::to_string(project) + "/" + std::string(batch_id));
  if (it == batch_ids_.end()) return std::nullopt;
  return it->second;
}

Result<RunPage> RunView::list(std::string_view project, const RunQuery& q) const {
  RunPage page;
  std::vector<Pending> pending;
  {
    std::shared_lock lock(mu_);
    collectLocked(project, q, page, pending);
  }
  auto runs = serve(std::move(pending));
  if (!runs) return runs.error();
  page.runs = std::move(*runs);
  return page;
}

std::optional<RunPage> RunView::listNow(std::string_view project, const RunQuery& q) const {
  RunPage page;
  std::vector<Pending> pending;
  {
    std::shared_lock lock(mu_);
    collectLocked(project, q, page, pending);
  }
  if (!fillCached(pending)) return std::nullopt;
  page.runs = decode(pending);
  return page;
}

void RunView::collectLocked(std::string_view project, const RunQuery& q, RunPage& page,
                            std::vector<Pending>& pending) const {
  auto p = projects_.find(project);
  if (!p) return;
  std::optional<uint32_t> workflow;
  if (!q.workflow_id.empty()) {
    workflow = workflows_.find(q.workflow_id);
    if (!workflow) return;
  }
  Key start{*p, {}};
  bool after = !q.after_run_id.empty() && parseUuid(q.after_run_id, start.id);
  auto matches = [&](const Fields& f) {
    return (!q.status || f.status == *q.status) && (!workflow || f.workflow == *workflow) &&
           f.created_at >= q.created_after && f.created_at < q.created_before;
  };
  // Walks candidates in run-id order; stops once the page is full and one more match is known
  // to exist (so next_cursor is only given when there is something after it).
  auto take = [&](const Fields& f) {
    if (!matches(f)) return true;
    if (static_cast<int>(pending.size()) == q.limit) {
      page.last_run_id = pending.back().run.run_id;
      return false;
    }
    pending.push_back(pendingOf(f));
    return true;
  };
  auto by_key = [](const Key& k, const auto& it) { return k < it->first; };
  if (!q.batch_id.empty()) {
    auto b = findBatch(*p, q.batch_id);
    if (!b) return;
    const Batch& batch = batches_[*b];
    auto run = after ? std::upper_bound(batch.runs.begin(), batch.runs.end(), start, by_key) : batch.runs.begin();
    auto block = std::upper_bound(batch.blocks.begin(), batch.blocks.end(), start, by_key);
    size_t slot = 0;
    if (block != batch.blocks.begin() && inBlock(**std::prev(block), start, slot)) {
      --block;
      if (after) ++slot;
    }
    walkLocked(run, batch.runs.end(), block, batch.blocks.end(), slot, take);
    return;
  }
  const Key next_project{*p + 1, {}};
  auto run = after ? runs_.upper_bound(start) : runs_.lower_bound(start);
  auto block = blocks_.upper_bound(start);
  size_t slot = 0;
  if (block != blocks_.begin() && inBlock(*std::prev(block), start, slot)) {
    --block;
    if (after) ++slot;
  }
  walkLocked(run, runs_.lower_bound(next_project), block, blocks_.lower_bound(next_project), slot, take);
}

template <typename RunIt, typename BlockIt, typename Take>
void RunView::walkLocked(RunIt run, RunIt runs_end, BlockIt block, BlockIt blocks_end, size_t slot, Take take) const {
  auto settle = [&] {  // to the next slot not moved
    for (; block != blocks_end; ++block, slot = 0) {
      const auto& slots = blockOf(block).second.slots;
      while (slot < slots.size() && slots[slot].moved) ++slot;
      if (slot < slots.size()) return;
    }
  };
  settle();
  for (;;) {
    const bool in_runs = run != runs_end, in_block = block != blocks_end;
    if (!in_runs && !in_block) return;
    const Fields next = in_block ? fieldsOf(blockOf(block), slot) : Fields{};
    if (in_runs && (!in_block || entryOf(run).first < next.key)) {
      if (!take(fieldsOf(entryOf(run)))) return;
      ++run;
    } else {
      if (!take(next)) return;
      ++slot;
      settle();
    }
  }
}

std::optional<BatchTotals> RunView::batch(std::string_view project, std::string_view batch_id) const {
  std::shared_lock lock(mu_);
  auto p = projects_.find(project);
  if (!p) return std::nullopt;
  auto b = findBatch(*p, batch_id);
  if (!b) return std::nullopt;
  const Batch& batch = batches_[*b];
  BatchTotals t;
  t.batch_id = batch.id;
  t.counts = batch.counts;
  int seen = 0;
  for (int i = 0; i < 7; ++i) {
    seen += batch.counts[i];
    if (isTerminal(static_cast<RunStatus>(i))) t.terminal += batch.counts[i];
  }
  t.total = std::max(seen, batch.declared);
  t.created_at = batch.created_at;
  if (t.total > 0 && t.terminal == t.total) t.completed_at = batch.completed_at;
  return t;
}

std::optional<std::vector<OpenRun>> RunView::openRuns(std::string_view project, std::string_view batch_id) const {
  std::shared_lock lock(mu_);
  auto p = projects_.find(project);
  if (!p) return std::nullopt;
  auto b = findBatch(*p, batch_id);
  if (!b) return std::nullopt;
  std::vector<OpenRun> open;
  const Batch& batch = batches_[*b];
  walkLocked(batch.runs.begin(), batch.runs.end(), batch.blocks.begin(), batch.blocks.end(), 0, [&](const Fields& f) {
    // A run another batch requested too (aliasLocked) is that batch's to cancel.
    if (!isTerminal(f.status) && f.batch == *b) open.push_back({formatUuid(f.key.id), f.partition});
    return true;
  });
  return open;
}

size_t RunView::size() const {
  std::shared_lock lock(mu_);
  return runs_.size() + block_runs_;
}

}  // namespace batchrun::ingest
