#include "poison_support.hpp"

#include <gtest/gtest.h>

namespace batchrun::testing {

std::string deepJson(int depth) { return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']'); }

std::vector<PoisonValue> poisonValues(bool tombstones_mean_delete) {
  std::vector<PoisonValue> out = {
      {"garbage", std::string(1, '\0') + "\xff\xfe garbage {{{ \x80\x81"},
      {"deep", deepJson()},
      {"truncated", R"({"run_id":"0190a0b0-0000-7000-8000-00000000000)"},
      {"wrong_shape", R"({"run_id":42,"project":["p"],"type":{"x":1},"batch_id":7,"url":false,"id":null})"},
  };
  if (!tombstones_mean_delete) out.push_back({"empty", ""});
  return out;
}

size_t producePoison(Producer& producer, const std::string& topic, int32_t partition,
                     const std::vector<PoisonValue>& values, const std::string& key) {
  size_t n = 0;
  for (const auto& v : values) {
    OutMessage m;
    m.topic = topic;
    m.key = key;
    m.value = v.value;
    m.partition = partition;
    m.headers = {{"poison", v.name}};
    auto r = producer.produceSync(std::move(m));
    if (!r || !r->ok) {
      ADD_FAILURE() << "poison " << v.name << " not produced to " << topic;
      continue;
    }
    ++n;
  }
  return n;
}

DeadLetters::DeadLetters(const KafkaSettings& kafka) {
  auto f = TopicFollower::start(kafka, {Topics(kafka).dead_letter}, [this](const Message& m) {
    DeadLetter d;
    d.key = std::string(m.key());
    d.value = std::string(m.value());
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m.raw(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* v = nullptr;
      size_t len = 0;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        d.headers[name] = v ? std::string(static_cast<const char*>(v), len) : std::string();
      }
    }
    std::lock_guard lock(mu_);
    records_.push_back(std::move(d));
  });
  if (!f) ADD_FAILURE() << f.error().message;
  else follower_ = std::move(*f);
}

DeadLetters::~DeadLetters() {
  if (follower_) follower_->stop();
}

std::vector<DeadLetter> DeadLetters::all() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<DeadLetter> DeadLetters::from(const std::string& topic, const std::string& service) const {
  std::vector<DeadLetter> out;
  for (auto& d : all()) {
    if (d.headers["batchrun-dlq-topic"] == topic && (service.empty() || d.headers["batchrun-dlq-service"] == service)) {
      out.push_back(d);
    }
  }
  return out;
}

}  // namespace batchrun::testing
