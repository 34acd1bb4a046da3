#include "batchrun/common/topic_follower.hpp"

#include <chrono>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka_consumer.hpp"
#include "batchrun/common/kafka_producer.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {

Result<std::unique_ptr<TopicFollower>> TopicFollower::start(const KafkaSettings& settings,
                                                            std::vector<std::string> topics, Handler handler,
                                                            int metadata_timeout_ms) {
  const std::map<std::string, std::string> props = {
      {"enable.partition.eof", "true"},  // how we know a partition has been read to its end
      // A view may lag by up to 50 ms; in return the broker answers one fetch per MiB (or 50 ms)
      // instead of one per produce. With the default of 1 byte, ingest following its own lanes
      // cost the broker 1.5-2.0 us per run instead of 1.0-1.1 us (docs/performance.md).
      {"fetch.wait.max.ms", "50"},
      {"fetch.min.bytes", "1048576"},
  };
  auto consumer = newAssignOnlyConsumer(settings, props, "follower");
  if (!consumer) return consumer.error();
  rd_kafka_t* rk = *consumer;
  auto* list = rd_kafka_topic_partition_list_new(16);
  std::vector<FollowerBarriers::Partition> partitions;
  for (const auto& topic : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, metadata_timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
      std::string why = e ? rd_kafka_err2str(e) : rd_kafka_err2str(md->topics[0].err);
      if (md) rd_kafka_metadata_destroy(md);
      rd_kafka_topic_partition_list_destroy(list);
      rd_kafka_destroy(rk);
      return Error::unavailable("describe " + topic + ": " + why);
    }
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), md->topics[0].partitions[p].id)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
      partitions.emplace_back(topic, md->topics[0].partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  return std::unique_ptr<TopicFollower>(new TopicFollower(rk, std::move(handler), std::move(partitions)));
}

TopicFollower::TopicFollower(rd_kafka_t* rk, Handler handler, std::vector<FollowerBarriers::Partition> partitions)
    : rk_(rk),
      handler_(std::move(handler)),
      partitions_(std::move(partitions)),
      remaining_(static_cast<int>(partitions_.size())),
      caught_up_(partitions_.empty()),
      thread_([this] { loop(); }) {}

TopicFollower::~TopicFollower() {
  stop();
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

void TopicFollower::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool TopicFollower::waitCaughtUp(int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!caught_up_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return caught_up_.load();
}

void TopicFollower::syncThen(std::function<void()> done) {
  std::lock_guard lock(sync_mu_);
  sync_requests_.push_back(std::move(done));
}

void TopicFollower::serveSyncRequests() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(sync_mu_);
    batch.swap(sync_requests_);
  }
  if (batch.empty()) return;
  // One query answers every request made meanwhile: their end offsets can only be lower.
  std::map<FollowerBarriers::Partition, int64_t> ends;
  for (const auto& tp : partitions_) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_, tp.first.c_str(), tp.second, &low, &high, 5000);
    if (err) {
      if (!sync_failing_) {
        log::warn("follower cannot read end offsets; sync waits",
                  {{"topic", tp.first}, {"error", rd_kafka_err2str(err)}});
      }
      sync_failing_ = true;
      std::lock_guard lock(sync_mu_);
      for (auto& cb : batch) sync_requests_.push_back(std::move(cb));
      return;
    }
    ends[tp] = high;
  }
  sync_failing_ = false;
  barriers_.add(std::move(ends), std::move(batch));
}

void TopicFollower::loop() {
  // EOF is reported again each time a partition is drained; count each partition only once.
  std::vector<std::pair<std::string, int32_t>> done;
  while (!stop_.load()) {
    serveSyncRequests();
    Message m(rd_kafka_consumer_poll(rk_, 100));  // also how long a new sync request may wait to be served
    if (!m) continue;
    if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      barriers_.advance(rd_kafka_topic_name(m.raw()->rkt), m.partition(), m.offset());  // EOF's offset: the end
      if (!caught_up_.load()) {
        std::pair<std::string, int32_t> key{m.topic(), m.partition()};
        bool seen = false;
        for (const auto& d : done) seen = seen || d == key;
        if (!seen) {
          done.push_back(key);
          if (--remaining_ <= 0) caught_up_ = true;
        }
      }
      continue;
    }
    if (m.isError()) {
      log::warn("follower read error", {{"error", m.errorString()}});
      continue;
    }
    try {
      handler_(m);
    } catch (const std::exception& e) {
      log::error("follower handler threw", {{"error", e.what()}, {"topic", m.topic()}});
    }
    barriers_.advance(rd_kafka_topic_name(m.raw()->rkt), m.partition(), m.offset() + 1);
  }
}

}  // namespace batchrun
