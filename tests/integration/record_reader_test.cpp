// KafkaRecordReader against the real broker: records read back by (topic, partition, offset) in
// the order asked, across topics and partitions, with duplicates, far-apart offsets, concurrent
// callers sharing a smaller pool, and records that no longer (or never) exist.
//
// Semantics checked here: an offset below the partition's log start (DeleteRecords, retention) or
// one with no record although later ones exist (here: a transaction marker) reads as nullopt; an
// offset at or past the partition's end is not read as missing (a new leader's high watermark can
// lag, so it may yet appear) but makes the read fail, retryably, at the reader's deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/record_reader.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

using Values = std::vector<std::optional<std::string>>;

class Collect final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport& r, void* tag) override {
    std::lock_guard lock(mu);
    reports[reinterpret_cast<uintptr_t>(tag)] = r;
  }
  size_t count() {
    std::lock_guard lock(mu);
    return reports.size();
  }
  std::mutex mu;
  std::map<uintptr_t, DeliveryReport> reports;
};

// Produces the messages; returns where each one landed, in order.
std::vector<RecordRef> produceAll(Producer& producer, std::vector<OutMessage> msgs) {
  Collect collect;
  std::vector<std::string> topics;
  for (size_t i = 0; i < msgs.size(); ++i) {
    topics.push_back(msgs[i].topic);
    auto st = producer.produce(std::move(msgs[i]), &collect, reinterpret_cast<void*>(i));
    EXPECT_TRUE(st) << st.error().message;
  }
  EXPECT_TRUE(waitFor([&] { return collect.count() == topics.size(); }, 30s));
  std::vector<RecordRef> refs;
  std::lock_guard lock(collect.mu);
  for (size_t i = 0; i < topics.size(); ++i) {
    const auto& r = collect.reports[i];
    EXPECT_TRUE(r.ok) << r.error;
    refs.push_back({topics[i], r.partition, r.offset});
  }
  return refs;
}

void createTopic(const KafkaSettings& s, const std::string& name, int partitions) {
  auto st = ensureTopics(s, {TopicSpec{name, partitions, 1, {}}});
  ASSERT_TRUE(st) << st.error().message;
}

// Without a cache unless asked: these tests are about what Kafka answers.
std::unique_ptr<KafkaRecordReader> makeReader(const KafkaSettings& s, int pool_size = 2,
                                              std::chrono::milliseconds timeout = 15s,
                                              std::function<bool()> reachable = {}, size_t cache_bytes = 0) {
  KafkaRecordReader::Options o;
  o.pool_size = pool_size;
  o.timeout = timeout;
  o.reachable = std::move(reachable);
  o.cache_bytes = cache_bytes;
  auto reader = KafkaRecordReader::create(s, o);
  EXPECT_TRUE(reader) << reader.error().message;
  return reader ? std::move(*reader) : nullptr;
}

std::string valueFor(const std::string& topic, int partition, int i) {
  return topic + "/" + std::to_string(partition) + "/" + std::to_string(i) + "/" + std::string(200 + i % 50, 'x');
}

// A new one-partition topic `t` holding valueFor(t, 0, i) at offset i for i < n: where they are.
std::vector<RecordRef> filledTopic(const KafkaSettings& s, const std::string& t, int n) {
  createTopic(s, t, 1);
  auto producer = Producer::create(s);
  EXPECT_TRUE(producer);
  if (!producer) return {};
  std::vector<OutMessage> msgs;
  for (int i = 0; i < n; ++i) msgs.push_back(OutMessage{t, "k", valueFor(t, 0, i), {}, 0});
  return produceAll(**producer, std::move(msgs));
}

// Every record before `before` in the partition is deleted (the log start moves there).
void deleteRecordsBefore(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t before) {
  auto* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = before;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &del, 1, nullptr, q);
  rd_kafka_DeleteRecords_destroy(del);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_event_error_string(ev);
  const auto* result = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
  ASSERT_EQ(result->cnt, 1);
  EXPECT_EQ(result->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(result->elems[0].err);
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
}

}  // namespace

TEST(RecordReader, EmptyRequestDoesNotTouchKafka) {
  auto s = uniqueKafkaSettings(1);
  s.brokers = "127.0.0.1:1";  // nothing listens there
  auto reader = makeReader(s, 1, 100ms);
  auto got = reader->read({});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->empty());
}

TEST(RecordReader, RecordsReadAreAnsweredFromTheCacheAndAnUnreachableClusterFailsAtOnce) {
  auto s = uniqueKafkaSettings(1);
  const std::string t = s.topic_prefix + "cache";
  auto refs = filledTopic(s, t, 3);
  ASSERT_EQ(refs.size(), 3u);

  std::atomic<bool> reachable{true};
  auto reader = makeReader(s, 1, 15s, [&] { return reachable.load(); }, size_t{1} << 20);
  auto first = reader->read({refs[0], refs[1]});
  ASSERT_TRUE(first) << first.error().message;
  reachable = false;  // as ingest's probe says during an outage
  auto again = reader->read({refs[1], refs[0]});  // nothing to fetch: no need for Kafka
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0], valueFor(t, 0, 1));
  EXPECT_EQ((*again)[1], valueFor(t, 0, 0));
  auto unread = reader->read({refs[0], refs[2]});  // refs[2] needs Kafka: unavailable, not a wait
  ASSERT_FALSE(unread);
  EXPECT_EQ(unread.error().code, ErrorCode::kUnavailable);
  // readCached answers only from the cache: all of it, or nothing.
  auto cached = reader->readCached({refs[1], refs[0]});
  ASSERT_TRUE(cached);
  EXPECT_EQ((*cached)[0], valueFor(t, 0, 1));
  EXPECT_FALSE(reader->readCached({refs[0], refs[2]}));
  reachable = true;
  auto back = reader->read({refs[2]});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ((*back)[0], valueFor(t, 0, 2));
}

TEST(RecordReader, MixedOutOfOrderRequestAcrossTopicsAndPartitionsWithDuplicates) {
  auto s = uniqueKafkaSettings(3);
  const std::string a = s.topic_prefix + "a", b = s.topic_prefix + "b";
  createTopic(s, a, 3);
  createTopic(s, b, 4);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  std::vector<OutMessage> msgs;
  std::vector<std::string> values;
  for (const auto& [topic, partitions] : {std::pair{a, 3}, std::pair{b, 4}}) {
    for (int p = 0; p < partitions; ++p) {
      for (int i = 0; i < 30; ++i) {
        values.push_back(valueFor(topic, p, i));
        msgs.push_back(OutMessage{topic, "k", values.back(), {}, p});
      }
    }
  }
  auto refs = produceAll(**producer, std::move(msgs));
  ASSERT_EQ(refs.size(), values.size());

  std::mt19937 rng(7);
  std::vector<size_t> pick(refs.size());
  for (size_t i = 0; i < pick.size(); ++i) pick[i] = i;
  std::shuffle(pick.begin(), pick.end(), rng);
  pick.resize(60);
  for (size_t i = 0; i < 10; ++i) pick.push_back(pick[i * 3]);  // duplicates
  std::shuffle(pick.begin(), pick.end(), rng);
  std::vector<RecordRef> ask;
  for (size_t i : pick) ask.push_back(refs[i]);

  auto reader = makeReader(s);
  auto got = reader->read(ask);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), ask.size());
  for (size_t i = 0; i < pick.size(); ++i) {
    ASSERT_TRUE((*got)[i].has_value()) << "ref " << i;
    EXPECT_EQ(*(*got)[i], values[pick[i]]) << "ref " << i;
  }
  // The same consumers serve the next read cleanly.
  auto again = reader->read({refs[5], refs[0]});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0], values[5]);
  EXPECT_EQ((*again)[1], values[0]);
}

TEST(RecordReader, FarApartOffsetsInOnePartition) {
  auto s = uniqueKafkaSettings(1);
  const std::string t = s.topic_prefix + "gap";
  auto refs = filledTopic(s, t, 5000);
  ASSERT_EQ(refs.back().offset, 4999);

  auto reader = makeReader(s, 1);
  auto got = reader->read({{t, 0, 4900}, {t, 0, 3}, {t, 0, 4901}});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)[0], valueFor(t, 0, 4900));
  EXPECT_EQ((*got)[1], valueFor(t, 0, 3));
  EXPECT_EQ((*got)[2], valueFor(t, 0, 4901));
}

TEST(RecordReader, ConcurrentReadsShareASmallerPool) {
  auto s = uniqueKafkaSettings(3);
  const std::string t = s.topic_prefix + "conc";
  createTopic(s, t, 3);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  std::vector<OutMessage> msgs;
  std::vector<std::string> values;
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 200; ++i) {
      values.push_back(valueFor(t, p, i));
      msgs.push_back(OutMessage{t, "k", values.back(), {}, p});
    }
  }
  auto refs = produceAll(**producer, std::move(msgs));
  ASSERT_EQ(refs.size(), values.size());

  auto reader = makeReader(s, 2);
  std::atomic<int> wrong{0}, failed{0}, reads{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937 rng(static_cast<unsigned>(th));
      for (int n = 0; n < 15; ++n) {
        std::vector<size_t> pick;
        for (int k = 0; k < 8; ++k) pick.push_back(rng() % refs.size());
        std::vector<RecordRef> ask;
        for (size_t i : pick) ask.push_back(refs[i]);
        auto got = reader->read(ask);
        if (!got) {
          ++failed;
          continue;
        }
        for (size_t i = 0; i < pick.size(); ++i) wrong += (*got)[i] == values[pick[i]] ? 0 : 1;
        ++reads;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(reads.load(), 60);
}

TEST(RecordReader, OffsetAtOrPastTheEndFailsRetryablyAtTheDeadline) {
  auto s = uniqueKafkaSettings(1);
  const std::string t = s.topic_prefix + "end";
  auto refs = filledTopic(s, t, 3);
  ASSERT_EQ(refs.back().offset, 2);

  auto reader = makeReader(s, 1, 500ms);
  // Warm up (metadata, connection) so the failures below come from the offsets, not a cold start.
  ASSERT_TRUE(waitFor([&] { return reader->read({refs[0]}).ok(); }, 30s));
  // 3 is the end (the high watermark): the fetcher waits there. 100 alone, and 5000 (sought to
  // from offset 1), are past it: the broker answers "out of range".
  const std::vector<std::vector<RecordRef>> asks = {
      {{t, 0, 1}, {t, 0, 3}}, {{t, 0, 100}}, {{t, 0, 1}, {t, 0, 5000}}};
  for (const auto& ask : asks) {
    auto got = reader->read(ask);
    ASSERT_FALSE(got) << "offset " << ask.back().offset;
    EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
    EXPECT_TRUE(got.error().retryable);
  }
  // The consumer is clean for the next read.
  auto got = reader->read({refs[2], refs[1]});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)[0], valueFor(t, 0, 2));
  EXPECT_EQ((*got)[1], valueFor(t, 0, 1));
}

TEST(RecordReader, RecordsBeforeTheLogStartReadAsMissing) {
  auto s = uniqueKafkaSettings(1);
  const std::string t = s.topic_prefix + "deleted";
  createTopic(s, t, 2);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  std::vector<OutMessage> msgs;
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 10; ++i) msgs.push_back(OutMessage{t, "k", valueFor(t, p, i), {}, p});
  }
  auto refs = produceAll(**producer, std::move(msgs));
  ASSERT_EQ(refs.size(), 20u);
  auto reader = makeReader(s, 1);
  // Read before the deletion too, so the reader has fetched this partition already.
  auto before = reader->read({{t, 0, 2}});
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ((*before)[0], valueFor(t, 0, 2));

  deleteRecordsBefore((*producer)->handle(), t, 0, 6);
  auto got = reader->read({{t, 0, 2}, {t, 0, 6}, {t, 1, 2}, {t, 0, 9}, {t, 0, 0}, {t, 0, 2}});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)[0], std::nullopt);
  EXPECT_EQ((*got)[1], valueFor(t, 0, 6));
  EXPECT_EQ((*got)[2], valueFor(t, 1, 2));  // the other partition is untouched
  EXPECT_EQ((*got)[3], valueFor(t, 0, 9));
  EXPECT_EQ((*got)[4], std::nullopt);
  EXPECT_EQ((*got)[5], std::nullopt);
}

// A transaction's commit marker takes an offset that no consumer ever receives: an offset with no
// record although the log goes on, as compaction leaves behind.
TEST(RecordReader, OffsetWithoutARecordReadsAsMissing) {
  auto s = uniqueKafkaSettings(1);
  const std::string t = s.topic_prefix + "holes";
  createTopic(s, t, 1);
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", s.brokers.c_str(), err, sizeof err), RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(conf, "transactional.id", (s.topic_prefix + "tx").c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* tx = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(tx, nullptr) << err;
  auto ok = [](rd_kafka_error_t* e) {
    std::string what = e ? rd_kafka_error_string(e) : "";
    if (e) rd_kafka_error_destroy(e);
    return what;
  };
  ASSERT_EQ(ok(rd_kafka_init_transactions(tx, 30000)), "");
  ASSERT_EQ(ok(rd_kafka_begin_transaction(tx)), "");
  std::string v0 = valueFor(t, 0, 0);
  ASSERT_EQ(rd_kafka_producev(tx, RD_KAFKA_V_TOPIC(t.c_str()), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_VALUE(v0.data(), v0.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(ok(rd_kafka_commit_transaction(tx, 30000)), "");  // record at 0, commit marker at 1
  rd_kafka_destroy(tx);

  auto reader = makeReader(s, 1);
  auto last = reader->read({{t, 0, 1}, {t, 0, 0}});  // the marker is the partition's last offset
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ((*last)[0], std::nullopt);
  EXPECT_EQ((*last)[1], v0);

  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  auto refs = produceAll(**producer, {OutMessage{t, "k", valueFor(t, 0, 2), {}, 0}});
  ASSERT_EQ(refs[0].offset, 2);
  auto got = reader->read({{t, 0, 2}, {t, 0, 1}});  // a later record follows the marker now
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)[0], valueFor(t, 0, 2));
  EXPECT_EQ((*got)[1], std::nullopt);
}
