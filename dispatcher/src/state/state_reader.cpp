#include "batchrun/dispatcher/state/state_reader.hpp"

#include <chrono>
#include <map>
#include <memory>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/producer.hpp"

namespace batchrun::dispatcher {

Result<int64_t> highWatermark(rd_kafka_t* rk, const std::string& topic, int32_t partition, int timeout_ms) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, timeout_ms);
  if (e) return Error::unavailable("watermarks of " + topic + ": " + rd_kafka_err2str(e));
  return high;
}

Status readPartitionsToEnd(const KafkaSettings& kafka, const std::string& topic, const std::vector<int32_t>& partitions,
                           const RecordHandler& handler, int timeout_ms) {
  if (partitions.empty()) return {};
  auto conf = makeConf({{"bootstrap.servers", kafka.brokers},
                        {"group.id", "batchrun-state-reader-" + uuidv7()},  // never joined or committed
                        {"enable.auto.commit", "false"},
                        {"enable.partition.eof", "true"},  // reaching the end despite compaction gaps
                        {"fetch.wait.max.ms", "50"}});
  if (!conf) return conf.error();
  char err[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!raw) {
    rd_kafka_conf_destroy(*conf);
    return Error::invalid(std::string("state reader: ") + err);
  }
  auto destroy = [](rd_kafka_t* rk) {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  };
  std::unique_ptr<rd_kafka_t, decltype(destroy)> rk(raw, destroy);
  rd_kafka_poll_set_consumer(raw);

  std::map<int32_t, int64_t> end;  // partition → high watermark still to reach
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(raw, topic.c_str(), p, &low, &high, 10000);
    if (e) {
      rd_kafka_topic_partition_list_destroy(list);
      return Error::unavailable("watermarks of " + topic + ": " + rd_kafka_err2str(e));
    }
    if (high > low) {
      end[p] = high;
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  rd_kafka_assign(raw, list);
  rd_kafka_topic_partition_list_destroy(list);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!end.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Error::unavailable("reading " + topic + " to its end took longer than " + std::to_string(timeout_ms) + " ms");
    }
    Message m(rd_kafka_consumer_poll(raw, 100));
    if (!m) continue;
    if (m.isError()) {
      if (m.error() == RD_KAFKA_RESP_ERR__PARTITION_EOF) end.erase(m.partition());
      else return Error::unavailable("reading " + topic + ": " + m.errorString());
      continue;
    }
    auto it = end.find(m.partition());
    if (it == end.end()) continue;
    handler(m);
    // Compaction can remove the last offsets, so "reached" is offset + 1 >= high.
    if (m.offset() + 1 >= it->second) end.erase(it);
  }
  return {};
}

}  // namespace batchrun::dispatcher
