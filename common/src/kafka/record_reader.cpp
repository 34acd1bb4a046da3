#include "batchrun/common/kafka/record_reader.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/record_cache.hpp"

namespace batchrun {

namespace {

using Clock = std::chrono::steady_clock;
using Key = std::pair<std::string, int32_t>;

// Further ahead than this, a seek (one round trip) beats reading through the records between.
constexpr int64_t kSeekGap = 1000;
// How soon to look again for an offset that lies beyond the partition's end.
constexpr std::chrono::milliseconds kRetryBackoff{100};

int msUntil(Clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

struct Part {
  std::set<int64_t> want;  // offsets not answered yet; the fetcher runs from the smallest
  std::map<int64_t, std::optional<std::string>> got;
};

// One read on one consumer. Every message is checked against what this read wants: records of an
// earlier read on this consumer (which librdkafka already drops by op version) cannot answer it.
class Read {
 public:
  Read(rd_kafka_t* rk, Clock::time_point deadline) : rk_(rk), deadline_(deadline) {}

  Result<std::vector<std::optional<std::string>>> run(const std::vector<RecordRef>& refs) {
    for (const auto& r : refs) open_ += parts_[{r.topic, r.partition}].want.insert(r.offset).second ? 1 : 0;
    assign();
    while (open_ > 0 && Clock::now() < deadline_) {
      if (restart_at_ && Clock::now() >= *restart_at_) assign();
      Message m(rd_kafka_consumer_poll(rk_, msUntil(restart_at_ ? std::min(*restart_at_, deadline_) : deadline_)));
      if (m) onMessage(m);
    }
    rd_kafka_assign(rk_, nullptr);
    while (rd_kafka_message_t* left = rd_kafka_consumer_poll(rk_, 0)) rd_kafka_message_destroy(left);
    if (open_ > 0) {
      return Error::unavailable("record reader: " + std::to_string(open_) + " record(s) not read in time" +
                                (last_error_.empty() ? "" : " (" + last_error_ + ")"));
    }
    std::vector<std::optional<std::string>> out;
    out.reserve(refs.size());
    for (const auto& r : refs) out.push_back(parts_[{r.topic, r.partition}].got[r.offset]);
    return out;
  }

 private:
  // (Re)starts every partition that still wants something at its smallest wanted offset.
  void assign() {
    restart_at_.reset();
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts_.size()));
    for (const auto& [k, p] : parts_) {
      if (!p.want.empty()) rd_kafka_topic_partition_list_add(list, k.first.c_str(), k.second)->offset = *p.want.begin();
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list)) {
      last_error_ = std::string("assign: ") + rd_kafka_err2str(err);
      restart_at_ = Clock::now() + kRetryBackoff;
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  // Answers every wanted offset below `end` with nullopt (no record there any more: the fetcher,
  // which started at or below them, went past) and m's own offset with m's value.
  void settle(Part& p, int64_t end, const Message* m) {
    while (!p.want.empty() && *p.want.begin() <= end) {
      int64_t offset = *p.want.begin();
      if (offset == end && !m) break;
      p.got[offset] = offset < end ? std::nullopt : std::optional<std::string>(m->value());
      p.want.erase(p.want.begin());
      --open_;
    }
  }

  void onMessage(const Message& m) {
    rd_kafka_message_t* raw = m.raw();
    auto it = raw->rkt ? parts_.find({rd_kafka_topic_name(raw->rkt), raw->partition}) : parts_.end();
    if (it == parts_.end()) {  // not about a partition of this read
      if (m.isError()) last_error_ = m.errorString();
      return;
    }
    Part& p = it->second;
    switch (m.error()) {
      case RD_KAFKA_RESP_ERR_NO_ERROR:
        settle(p, m.offset(), &m);
        if (!p.want.empty() && *p.want.begin() - (m.offset() + 1) > kSeekGap) seek(it->first, *p.want.begin());
        return;
      case RD_KAFKA_RESP_ERR__PARTITION_EOF:  // every record before the end has been delivered
        settle(p, m.offset(), nullptr);
        return;
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:  // auto.offset.reset=error: this fetcher has stopped
        outOfRange(it->first, p);
        return;
      default:
        last_error_ = m.errorString();
    }
  }

  void seek(const Key& k, int64_t offset) {
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, k.first.c_str(), k.second)->offset = offset;
    // With a timeout the call returns once the fetcher has moved: nothing fetched before follows.
    rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, list, std::max(1, msUntil(deadline_)));
    if (error || list->elems[0].err) restart_at_ = Clock::now();  // re-assigning works in any fetch state
    if (error) rd_kafka_error_destroy(error);
    rd_kafka_topic_partition_list_destroy(list);
  }

  // The offset asked for is below the log start (retention, DeleteRecords) or past the log end.
  void outOfRange(const Key& k, Part& p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk_, k.first.c_str(), k.second, &low, &high, std::max(1, msUntil(deadline_)));
    if (err) last_error_ = std::string("watermarks: ") + rd_kafka_err2str(err);
    else settle(p, low, nullptr);
    if (p.want.empty()) return;
    // Past the end it may still appear (a new leader's high watermark can lag): look again later,
    // and fail at the deadline if it does not.
    bool later = err || *p.want.begin() >= high;
    if (!err && later) last_error_ = "offset past the partition's end";
    auto at = Clock::now() + (later ? kRetryBackoff : std::chrono::milliseconds(0));
    restart_at_ = restart_at_ ? std::min(*restart_at_, at) : at;
  }

  rd_kafka_t* rk_;
  Clock::time_point deadline_;
  std::map<Key, Part> parts_;
  size_t open_ = 0;
  std::optional<Clock::time_point> restart_at_;
  std::string last_error_;
};

}  // namespace

struct KafkaRecordReader::Pool {
  explicit Pool(const Options& o) : timeout(o.timeout), reachable(o.reachable), cache(o.cache_bytes) {}
  std::chrono::milliseconds timeout;
  std::function<bool()> reachable;
  RecordCache cache;
  std::vector<rd_kafka_t*> all;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<rd_kafka_t*> idle;  // guarded by mu

  ~Pool() {
    for (rd_kafka_t* rk : all) {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }
};

Result<std::unique_ptr<KafkaRecordReader>> KafkaRecordReader::create(const KafkaSettings& settings, Options options) {
  if (options.pool_size < 1) return Error::invalid("record reader: pool_size must be at least 1");
  const std::map<std::string, std::string> props = {
      {"enable.partition.eof", "true"},  // the end of a partition answers offsets missing before it
      {"auto.offset.reset", "error"},    // an offset out of range must be reported, not replaced
      {"isolation.level", "read_uncommitted"},
      // A read wants a few records: prefetch little, and do not let the broker hold a fetch long —
      // a read of one run took one whole wait (10 ms: p50 10.5 ms; 1 ms: p50 1.4 ms).
      {"queued.max.messages.kbytes", "4096"},
      {"fetch.wait.max.ms", "1"},
      // After "offset out of range" librdkafka pauses fetching for this long (default 500 ms, and a
      // re-assign does not clear it): most of a read's deadline, for one record gone to retention.
      {"fetch.error.backoff.ms", "50"},
  };
  auto pool = std::make_unique<Pool>(options);
  for (int i = 0; i < options.pool_size; ++i) {
    auto rk = newAssignOnlyConsumer(settings, props, "reader");
    if (!rk) return rk.error();
    pool->all.push_back(*rk);
  }
  pool->idle = pool->all;
  return std::unique_ptr<KafkaRecordReader>(new KafkaRecordReader(std::move(pool)));
}

KafkaRecordReader::KafkaRecordReader(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}

KafkaRecordReader::~KafkaRecordReader() = default;

std::optional<std::vector<std::string>> KafkaRecordReader::readCached(const std::vector<RecordRef>& refs) {
  std::vector<std::string> out;
  out.reserve(refs.size());
  for (const auto& r : refs) {
    auto v = pool_->cache.get(r);
    if (!v) return std::nullopt;
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::vector<std::optional<std::string>>> KafkaRecordReader::read(const std::vector<RecordRef>& refs) {
  for (const auto& r : refs) {
    // Negative offsets would be logical ones (beginning, end) to librdkafka.
    if (r.topic.empty() || r.partition < 0 || r.offset < 0) return Error::invalid("record reader: invalid record ref");
  }
  std::vector<std::optional<std::string>> out(refs.size());
  std::vector<RecordRef> missing;
  std::vector<size_t> slots;
  for (size_t i = 0; i < refs.size(); ++i) {
    if ((out[i] = pool_->cache.get(refs[i]))) continue;
    missing.push_back(refs[i]);
    slots.push_back(i);
  }
  if (missing.empty()) return out;
  if (pool_->reachable && !pool_->reachable()) return Error::unavailable("record reader: kafka is unreachable");
  const auto deadline = Clock::now() + pool_->timeout;
  rd_kafka_t* rk = nullptr;
  {
    std::unique_lock lock(pool_->mu);
    if (!pool_->cv.wait_until(lock, deadline, [&] { return !pool_->idle.empty(); })) {
      return Error::unavailable("record reader: no consumer free in time");
    }
    rk = pool_->idle.back();
    pool_->idle.pop_back();
  }
  auto read = Read(rk, deadline).run(missing);
  {
    std::lock_guard lock(pool_->mu);
    pool_->idle.push_back(rk);
  }
  pool_->cv.notify_one();
  if (!read) return read.error();
  for (size_t j = 0; j < slots.size(); ++j) {
    if ((*read)[j]) pool_->cache.put(missing[j], *(*read)[j]);
    out[slots[j]] = std::move((*read)[j]);
  }
  return out;
}

}  // namespace batchrun
