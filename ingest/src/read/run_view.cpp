// RunView: following runs.index and runs.state and applying their records (the entries-and-blocks
// index is in run_view_blocks.cpp, reads and paging in run_view_queries.cpp, retention in
// run_view_retention.cpp).
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
                       std::shared_ptr<FollowerHub> hub, PoisonRecords* poison) {
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
      guardRecords(poison, [this, index = topics.run_index](const Message& m) { return applyFollowed(m, index); }),
      15000, std::move(hub));
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

std::string RunView::applyFollowed(const Message& m, const std::string& index_topic) {
  const char* topic = rd_kafka_topic_name(m.raw()->rkt);
  if (std::strcmp(topic, index_topic.c_str()) != 0) {
    if (isHandoverMarker(m)) return {};  // a dispatcher's, not a run
    return apply(m.value(), m.partition(), topic, m.offset()) ? std::string() : "undecodable run record";
  }
  // This instance's own requests were indexed by noteAccepted before their index record was written.
  if (auto from = m.header(kInstanceHeader); from && *from == instance_) return {};
  return applyIndex(m.value()) ? std::string() : "undecodable run index record";
}

bool RunView::applyIndex(std::string_view record) {
  std::string buffer(record);
  RunIndex index;
  if (!decodeRunIndex(buffer, index)) return false;
  std::unique_lock lock(mu_);
  indexRequestLocked(index);
  return true;
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
  if (!json::parseRecord(d, record) || !d.IsObject()) return false;
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

}  // namespace batchrun::ingest
