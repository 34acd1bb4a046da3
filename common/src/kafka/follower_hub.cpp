#include "batchrun/common/kafka/follower_hub.hpp"

#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"

namespace batchrun {

Result<std::shared_ptr<FollowerHub>> FollowerHub::create(const KafkaSettings& settings) {
  const std::map<std::string, std::string> props = {
      {"enable.partition.eof", "true"},  // how a follower knows a partition has been read to its end
      // A view may lag by up to 50 ms; in return the broker answers one fetch per MiB (or 50 ms)
      // instead of one per produce. With the default of 1 byte, ingest following its own lanes
      // cost the broker 1.5-2.0 us per run instead of 1.0-1.1 us (docs/performance.md).
      {"fetch.wait.max.ms", "50"},
      {"fetch.min.bytes", "1048576"},
  };
  auto rk = newAssignOnlyConsumer(settings, props, "follower");
  if (!rk) return rk.error();
  auto query = newAssignOnlyConsumer(settings, {}, "follower-query");
  if (!query) {
    rd_kafka_consumer_close(*rk);
    rd_kafka_destroy(*rk);
    return query.error();
  }
  return std::shared_ptr<FollowerHub>(new FollowerHub(*rk, *query));
}

FollowerHub::FollowerHub(rd_kafka_t* rk, rd_kafka_t* query_rk)
    : rk_(rk), query_rk_(query_rk), queue_(rd_kafka_queue_get_consumer(rk)), thread_([this] { loop(); }) {}

FollowerHub::~FollowerHub() {
  stop_ = true;
  wake();
  thread_.join();
  rd_kafka_queue_destroy(queue_);
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
  rd_kafka_consumer_close(query_rk_);
  rd_kafka_destroy(query_rk_);
}

Result<std::vector<FollowerBarriers::Partition>> FollowerHub::describe(const std::vector<std::string>& topics,
                                                                        int timeout_ms) {
  std::vector<FollowerBarriers::Partition> partitions;
  for (const auto& topic : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
      std::string why = e ? rd_kafka_err2str(e) : rd_kafka_err2str(md->topics[0].err);
      if (md) rd_kafka_metadata_destroy(md);
      return Error::unavailable("describe " + topic + ": " + why);
    }
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) partitions.emplace_back(topic, md->topics[0].partitions[p].id);
    rd_kafka_metadata_destroy(md);
  }
  return partitions;
}

namespace {
struct PartitionList {
  rd_kafka_topic_partition_list_t* list;
  explicit PartitionList(const std::vector<FollowerBarriers::Partition>& partitions)
      : list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()))) {
    for (const auto& [topic, partition] : partitions) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  ~PartitionList() { rd_kafka_topic_partition_list_destroy(list); }
};

Status fromError(rd_kafka_error_t* error, const std::string& what) {
  if (!error) return {};
  std::string message = what + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return Error::unavailable(message);
}
}  // namespace

Status FollowerHub::attach(TopicFollower* follower) {
  Status result;
  onLoop([&] {
    for (const auto& tp : follower->partitions_) {
      if (auto it = by_topic_.find(tp.first); it != by_topic_.end() && it->second != follower) {
        result = Error::invalid("topic " + tp.first + " is already followed on this hub");
        return;
      }
    }
    // Incremental: the partitions other followers read keep their positions.
    PartitionList list(follower->partitions_);
    result = fromError(rd_kafka_incremental_assign(rk_, list.list), "follow");
    if (!result) return;
    for (const auto& tp : follower->partitions_) by_topic_[tp.first] = follower;
    followers_.push_back(follower);
  });
  return result;
}

void FollowerHub::detach(TopicFollower* follower) {
  onLoop([&] {
    PartitionList list(follower->partitions_);
    if (auto st = fromError(rd_kafka_incremental_unassign(rk_, list.list), "unfollow"); !st) {
      log::warn("follower hub could not unassign", {{"error", st.error().message}});
    }
    std::erase_if(by_topic_, [&](const auto& entry) { return entry.second == follower; });
    std::erase(followers_, follower);
  });
}

void FollowerHub::onLoop(const std::function<void()>& op) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    op();
    return;
  }
  std::unique_lock lock(mu_);
  const uint64_t ticket = ++ops_posted_;
  ops_.push_back(op);
  wake();
  done_cv_.wait(lock, [&] { return ops_run_ >= ticket; });
}

void FollowerHub::runOps() {
  std::vector<std::function<void()>> ops;
  {
    std::lock_guard lock(mu_);
    ops.swap(ops_);
  }
  if (ops.empty()) return;
  for (auto& op : ops) op();
  {
    std::lock_guard lock(mu_);
    ops_run_ += ops.size();
  }
  done_cv_.notify_all();
}

void FollowerHub::dispatch(const Message& m) {
  if (m.isError() && m.error() != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (!read_error_logged_) log::warn("follower read error", {{"error", m.errorString()}});
    read_error_logged_ = true;
    return;
  }
  read_error_logged_ = false;
  if (!m.raw()->rkt) return;
  // Records of a partition given up a moment ago may still be queued: nobody follows them now.
  auto it = by_topic_.find(std::string_view(rd_kafka_topic_name(m.raw()->rkt)));
  if (it == by_topic_.end()) return;
  if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    it->second->onPartitionEnd(m);
  } else {
    it->second->onRecord(m);
  }
}

void FollowerHub::loop() {
  while (!stop_.load()) {
    runOps();
    if (syncs_waiting_.exchange(false)) {
      bool left = false;  // requests put back because the broker could not be asked: try again
      for (TopicFollower* f : followers_) left = !f->serveSyncRequests(query_rk_) || left;
      if (left) syncs_waiting_ = true;
    }
    // Woken early by wake(): a new follower, a departing one, a sync request, or the end.
    Message m(rd_kafka_consumer_poll(rk_, 100));
    if (m) dispatch(m);
  }
  runOps();  // nobody waits on the hub once it stops, but a posted op must not hang its poster
}

}  // namespace batchrun
