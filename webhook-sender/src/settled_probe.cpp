#include "batchrun/webhook/settled_probe.hpp"

#include <chrono>

#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::webhook {

namespace {
// Between rounds while tickets wait. The events group commits every second (auto.commit.interval.ms),
// so probing faster would mostly see the same offsets again.
constexpr auto kRoundInterval = std::chrono::milliseconds(100);
constexpr int kTimeoutMs = 5000;

Result<std::vector<int32_t>> partitionsOf(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 15000);
  rd_kafka_topic_destroy(rkt);
  if (e || md->topic_cnt != 1 || md->topics[0].err) {
    std::string why = e ? rd_kafka_err2str(e) : rd_kafka_err2str(md->topics[0].err);
    if (md) rd_kafka_metadata_destroy(md);
    return Error::unavailable("describe " + topic + ": " + why);
  }
  std::vector<int32_t> out;
  for (int p = 0; p < md->topics[0].partition_cnt; ++p) out.push_back(md->topics[0].partitions[p].id);
  rd_kafka_metadata_destroy(md);
  return out;
}

struct List {
  rd_kafka_topic_partition_list_t* l;
  List(const std::string& topic, const std::vector<int32_t>& partitions, int64_t offset)
      : l(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()))) {
    for (int32_t p : partitions) rd_kafka_topic_partition_list_add(l, topic.c_str(), p)->offset = offset;
  }
  ~List() { rd_kafka_topic_partition_list_destroy(l); }
};
}  // namespace

Result<std::unique_ptr<SettledProbe>> SettledProbe::create(const KafkaSettings& kafka, const Topics& topics,
                                                           const std::string& events_group) {
  auto rk = newAssignOnlyConsumer(kafka, {{"group.id", events_group}}, "settled-probe");
  if (!rk) return rk.error();
  auto events = partitionsOf(*rk, topics.events);
  auto retry = events ? partitionsOf(*rk, topics.webhook_retry) : Result<std::vector<int32_t>>(events.error());
  if (!retry) {
    rd_kafka_consumer_close(*rk);
    rd_kafka_destroy(*rk);
    return retry.error();
  }
  return std::unique_ptr<SettledProbe>(
      new SettledProbe(*rk, topics.events, std::move(*events), topics.webhook_retry, std::move(*retry)));
}

SettledProbe::SettledProbe(rd_kafka_t* rk, std::string events_topic, std::vector<int32_t> event_partitions,
                           std::string retry_topic, std::vector<int32_t> retry_partitions)
    : rk_(rk),
      events_topic_(std::move(events_topic)),
      event_partitions_(std::move(event_partitions)),
      retry_topic_(std::move(retry_topic)),
      retry_partitions_(std::move(retry_partitions)),
      thread_([this] { loop(); }) {}

SettledProbe::~SettledProbe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  rd_kafka_consumer_close(rk_);  // never joined a group: nothing to leave or commit
  rd_kafka_destroy(rk_);
}

uint64_t SettledProbe::take() {
  uint64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = ++issued_;
  }
  cv_.notify_all();
  return ticket;
}

bool SettledProbe::passed(uint64_t ticket, int32_t retry_partition, int64_t& retry_end) const {
  std::lock_guard lock(mu_);
  if (ticket > passed_) return false;
  auto it = retry_ends_.find(retry_partition);
  retry_end = it == retry_ends_.end() ? 0 : it->second;
  return true;
}

void SettledProbe::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || issued_ > queried_ || !barriers_.empty(); });
    if (stop_) return;
    lock.unlock();
    round();
    lock.lock();
    cv_.wait_for(lock, kRoundInterval, [this] { return stop_; });
  }
}

void SettledProbe::round() {
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    upto = issued_;
  }
  bool ok = true;
  if (upto > queried_) {
    // Queried after every ticket up to `upto` was taken: covers each event produced before.
    if (auto ends = listOffsets(events_topic_, event_partitions_, RD_KAFKA_OFFSET_END)) {
      barriers_.push_back({upto, std::move(*ends)});
      queried_ = upto;
    } else {
      ok = false;
    }
  }
  if (ok && !barriers_.empty()) {
    auto committed = this->committed();
    Offsets beginnings;
    if (committed) {
      bool never = false;  // a partition the group has never committed: reached if it holds nothing
      for (const auto& [p, off] : *committed) never = never || off < 0;
      if (never) {
        auto b = listOffsets(events_topic_, event_partitions_, RD_KAFKA_OFFSET_BEGINNING);
        if (b) beginnings = std::move(*b); else ok = false;
      }
    } else {
      ok = false;
    }
    size_t reached_n = 0;
    while (ok && reached_n < barriers_.size() && reached(barriers_[reached_n], *committed, beginnings)) ++reached_n;
    if (reached_n > 0) {
      // Read after the commits were seen: past every retry record written before they were made.
      if (auto retry_ends = listOffsets(retry_topic_, retry_partitions_, RD_KAFKA_OFFSET_END)) {
        uint64_t ticket = barriers_[reached_n - 1].ticket;
        barriers_.erase(barriers_.begin(), barriers_.begin() + static_cast<std::ptrdiff_t>(reached_n));
        std::lock_guard lock(mu_);
        passed_ = ticket;
        retry_ends_ = std::move(*retry_ends);
      } else {
        ok = false;
      }
    }
  }
  if (!ok && !failing_) log::warn("cannot read runs.events progress; held batch.completed deliveries wait", {});
  failing_ = !ok;
}

bool SettledProbe::reached(const Barrier& b, const Offsets& committed, const Offsets& beginnings) const {
  for (const auto& [p, end] : b.ends) {
    auto c = committed.find(p);
    int64_t at = c == committed.end() ? -1 : c->second;
    if (at >= end) continue;
    if (at < 0) {
      auto low = beginnings.find(p);
      if (low != beginnings.end() && low->second >= end) continue;
    }
    return false;
  }
  return true;
}

std::optional<SettledProbe::Offsets> SettledProbe::listOffsets(const std::string& topic,
                                                               const std::vector<int32_t>& partitions, int64_t which) {
  // offsets_for_times with the END/BEGINNING sentinels as timestamps: one ListOffsets request per
  // leader for all partitions, where a watermark query costs one (or two) per partition.
  List list(topic, partitions, which);
  if (rd_kafka_offsets_for_times(rk_, list.l, kTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  Offsets out;
  for (int i = 0; i < list.l->cnt; ++i) {
    const auto& el = list.l->elems[i];
    if (el.err || el.offset < 0) return std::nullopt;
    out[el.partition] = el.offset;
  }
  return out;
}

std::optional<SettledProbe::Offsets> SettledProbe::committed() {
  List list(events_topic_, event_partitions_, RD_KAFKA_OFFSET_INVALID);
  if (rd_kafka_committed(rk_, list.l, kTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  Offsets out;
  for (int i = 0; i < list.l->cnt; ++i) {
    const auto& el = list.l->elems[i];
    if (el.err) return std::nullopt;
    out[el.partition] = el.offset;  // RD_KAFKA_OFFSET_INVALID (< 0): never committed
  }
  return out;
}

}  // namespace batchrun::webhook
