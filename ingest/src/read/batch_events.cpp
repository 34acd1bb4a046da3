#include "batchrun/ingest/read/batch_events.hpp"

#include <rapidjson/document.h>

#include <algorithm>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

namespace {

bool isTerminalType(std::string_view type) {
  return type == event_type::kCompleted || type == event_type::kFailed || type == event_type::kCancelled ||
         type == event_type::kTimedOut;
}

// total (-1 if absent), created_at and completed_at (unix ms, 0 if absent) of a batch.completed body.
BatchEvents::Completed completedOf(const std::string& body) {
  BatchEvents::Completed out{-1, 0, 0};
  rapidjson::Document d;
  if (!json::parseRecord(d, body) || !d.IsObject()) return out;
  auto data = d.FindMember("data");
  if (data == d.MemberEnd() || !data->value.IsObject()) return out;
  const auto& v = data->value;
  if (auto total = v.FindMember("total"); total != v.MemberEnd() && total->value.IsInt()) out.total = total->value.GetInt();
  auto time = [&](const char* key) -> int64_t {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsString()) return 0;
    return parseRfc3339(it->value.GetString()).value_or(0);
  };
  out.created_at = time("created_at");
  out.completed_at = time("completed_at");
  return out;
}

}  // namespace

BatchEvents::BatchEvents(BatchEventsConfig config, const Clock& clock) : config_(config), clock_(clock) {}

BatchEvents::~BatchEvents() { stop(); }

Status BatchEvents::follow(const KafkaSettings& settings, std::shared_ptr<FollowerHub> hub, PoisonRecords* poison) {
  auto take = [this](const Message& m) -> std::string {
    auto batch = m.header(header::kBatchId);
    if (!batch || batch->empty()) return {};  // a single run's event: no batch stream wants it
    auto id = m.header(header::kId);
    auto type = m.header(header::kType);
    if (!id || !type) return "runs.events record without ce_id/ce_type";
    // Streamed to clients as it is: what is not an event would break every stream of the batch.
    if (auto problem = eventBodyProblem(m.value()); !problem.empty()) return problem;
    this->apply(*batch, m.key(), std::string(*id), std::string(*type), std::string(m.value()), m.timestampMs(),
                m.header(header::kProject).value_or(std::string_view()));
    return {};
  };
  auto follower = TopicFollower::start(settings, {Topics(settings).events}, guardRecords(poison, std::move(take)), 15000,
                                       std::move(hub));
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  return {};
}

bool BatchEvents::caughtUp() const { return follower_ && follower_->caughtUp(); }

void BatchEvents::stop() {
  if (follower_) follower_->stop();
}

void BatchEvents::setListener(std::function<void()> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

void BatchEvents::apply(std::string_view batch_id, std::string_view run_id, std::string id, std::string type,
                        std::string body, int64_t record_ms, std::string_view project) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    Log& log = batches_[std::string(batch_id)];
    log.last_ms = std::max(log.last_ms, record_ms > 0 ? record_ms : clock_.nowMs());
    if (type == event_type::kBatchCompleted) {
      if (log.completed) return;
      const Completed fields = completedOf(body);
      log.total = fields.total;
      log.created_at = fields.created_at;
      log.completed_at = fields.completed_at;
      log.project = project;
      log.completed_seen_ms = record_ms > 0 ? record_ms : clock_.nowMs();
      log.completed = std::make_shared<SseEvent>(SseEvent{std::move(id), std::move(type), std::move(body)});
    } else {
      // Duplicates (a transition re-recorded after a crash) keep their first position.
      if (log.completed_seen_ms && log.events.empty() && log.base > 0) return;  // already dropped
      if (!log.ids.insert(id).second) return;
      if (isTerminalType(type)) log.terminal_runs.emplace(run_id);
      log.events.push_back(std::make_shared<SseEvent>(SseEvent{std::move(id), std::move(type), std::move(body)}));
    }
    notify = listener_;
  }
  if (notify) notify();
}

bool BatchEvents::releasable(const Log& log) const {
  if (!log.completed) return false;
  if (log.total >= 0 && static_cast<int>(log.terminal_runs.size()) >= log.total) return true;
  return log.base > 0 || clock_.nowMs() - log.completed_seen_ms >= config_.completion_grace_ms;
}

BatchEvents::Slice BatchEvents::read(std::string_view batch_id, size_t from) const {
  Slice slice;
  std::lock_guard lock(mu_);
  auto it = batches_.find(std::string(batch_id));
  if (it == batches_.end()) {
    slice.next = from;
    return slice;
  }
  const Log& log = it->second;
  size_t end = log.base + log.events.size();
  size_t start = std::max(from, log.base);
  for (size_t i = start; i < end; ++i) slice.events.push_back(log.events[i - log.base]);
  slice.next = std::max(from, end);
  if (releasable(log)) {
    slice.events.push_back(log.completed);
    slice.finished = true;
  }
  return slice;
}

std::optional<size_t> BatchEvents::positionAfter(std::string_view batch_id, std::string_view event_id) const {
  std::lock_guard lock(mu_);
  auto it = batches_.find(std::string(batch_id));
  if (it == batches_.end() || event_id.empty()) return 0;
  const Log& log = it->second;
  if (log.completed && log.completed->id == event_id) return std::nullopt;
  for (size_t i = 0; i < log.events.size(); ++i) {
    if (log.events[i]->id == event_id) return log.base + i + 1;
  }
  return 0;
}

std::optional<BatchEvents::Completed> BatchEvents::emptyBatch(std::string_view project,
                                                              std::string_view batch_id) const {
  std::lock_guard lock(mu_);
  auto it = batches_.find(std::string(batch_id));
  if (it == batches_.end()) return std::nullopt;
  const Log& log = it->second;
  if (!log.completed || log.total != 0 || log.project != project) return std::nullopt;
  return Completed{0, log.created_at, log.completed_at};
}

void BatchEvents::sweep() {
  std::lock_guard lock(mu_);
  int64_t now = clock_.nowMs();
  std::erase_if(batches_, [&](const auto& kv) { return now - kv.second.last_ms >= config_.forget_ms; });
  for (auto& [id, log] : batches_) {
    if (!log.completed || log.events.empty() || now - log.completed_seen_ms < config_.retain_ms) continue;
    log.base += log.events.size();
    log.events.clear();
    log.events.shrink_to_fit();
    log.ids = {};
    log.terminal_runs = {};
  }
}

}  // namespace batchrun::ingest
