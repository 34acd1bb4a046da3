#include "batchrun/common/kafka/topic_follower.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "batchrun/common/logging.hpp"

namespace batchrun {

Result<std::unique_ptr<TopicFollower>> TopicFollower::start(const KafkaSettings& settings,
                                                            std::vector<std::string> topics, Handler handler,
                                                            int metadata_timeout_ms,
                                                            std::shared_ptr<FollowerHub> hub) {
  if (!hub) {
    auto own = FollowerHub::create(settings);
    if (!own) return own.error();
    hub = std::move(*own);
  }
  auto partitions = hub->describe(topics, metadata_timeout_ms);
  if (!partitions) return partitions.error();
  std::unique_ptr<TopicFollower> follower(new TopicFollower(hub, std::move(handler), std::move(*partitions)));
  if (auto st = hub->attach(follower.get()); !st) return st.error();
  follower->attached_ = true;
  return follower;
}

TopicFollower::TopicFollower(std::shared_ptr<FollowerHub> hub, Handler handler,
                             std::vector<FollowerBarriers::Partition> partitions)
    : hub_(std::move(hub)),
      handler_(std::move(handler)),
      partitions_(std::move(partitions)),
      remaining_(static_cast<int>(partitions_.size())),
      caught_up_(partitions_.empty()) {}

TopicFollower::~TopicFollower() { stop(); }

void TopicFollower::stop() {
  if (!attached_) return;
  attached_ = false;
  hub_->detach(this);
}

bool TopicFollower::waitCaughtUp(int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!caught_up_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return caught_up_.load();
}

void TopicFollower::syncThen(std::function<void()> done) {
  {
    std::lock_guard lock(sync_mu_);
    sync_requests_.push_back(std::move(done));
  }
  hub_->syncRequested();  // served on the hub's next turn, not after its poll times out
}

bool TopicFollower::syncWait(int timeout_ms) {
  // Shared with the callback, which may run after a timed-out caller has returned.
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto state = std::make_shared<Done>();
  syncThen([state] {
    std::lock_guard lock(state->mu);
    state->done = true;
    state->cv.notify_all();
  });
  std::unique_lock lock(state->mu);
  return state->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return state->done; });
}

bool TopicFollower::serveSyncRequests(rd_kafka_t* rk) {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(sync_mu_);
    batch.swap(sync_requests_);
  }
  if (batch.empty()) return true;
  // One query answers every request made meanwhile: their end offsets can only be lower. END as
  // the timestamp asks every partition's end in one ListOffsets request per leader.
  std::map<FollowerBarriers::Partition, int64_t> ends;
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size()));
  for (const auto& tp : partitions_) {
    rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset = RD_KAFKA_OFFSET_END;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, 5000);
  for (int i = 0; !err && i < list->cnt; ++i) {
    err = list->elems[i].err;
    if (!err && list->elems[i].offset < 0) err = RD_KAFKA_RESP_ERR__NO_OFFSET;
    ends[{list->elems[i].topic, list->elems[i].partition}] = list->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    if (err != sync_error_) log::warn("follower cannot read end offsets; sync waits", {{"error", rd_kafka_err2str(err)}});
    sync_error_ = err;
    refreshLeaders(rk);
    std::lock_guard lock(sync_mu_);
    for (auto& cb : batch) sync_requests_.push_back(std::move(cb));
    return false;
  }
  if (sync_error_) log::info("follower reads end offsets again", {{"after", rd_kafka_err2str(sync_error_)}});
  sync_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  barriers_.add(std::move(ends), std::move(batch));
  return true;
}

void TopicFollower::refreshLeaders(rd_kafka_t* rk) {
  // The query handle never fetches or produces, so nothing else refreshes its idea of the
  // partitions' leaders. After a broker of three was killed, its queries kept failing (the first
  // with "Local: Timed out") for as long as the chaos test waited — over two minutes, the broker
  // back in every ISR long before — so every sync waited: the webhook-sender routed no event
  // (tests/integration/chaos_test.cpp). A metadata request for the topics after a failed query
  // updates the handle's leaders; with it the next query succeeded 0.2 s later. Only after a
  // failure, so never on a healthy path.
  std::vector<std::string> topics;
  for (const auto& tp : partitions_) {
    if (std::find(topics.begin(), topics.end(), tp.first) == topics.end()) topics.push_back(tp.first);
  }
  for (const auto& topic : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    if (!rkt) continue;
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
  }
}

void TopicFollower::onPartitionEnd(const Message& m) {
  barriers_.advance(rd_kafka_topic_name(m.raw()->rkt), m.partition(), m.offset());  // EOF's offset: the end
  if (caught_up_.load()) return;
  // EOF is reported again each time a partition is drained; count each partition only once.
  FollowerBarriers::Partition key{m.topic(), m.partition()};
  if (std::find(ended_.begin(), ended_.end(), key) != ended_.end()) return;
  ended_.push_back(std::move(key));
  if (--remaining_ <= 0) caught_up_ = true;
}

void TopicFollower::onRecord(const Message& m) {
  try {
    handler_(m);
  } catch (const std::exception& e) {
    log::error("follower handler threw", {{"error", e.what()}, {"topic", m.topic()}});
  }
  barriers_.advance(rd_kafka_topic_name(m.raw()->rkt), m.partition(), m.offset() + 1);
}

}  // namespace batchrun
