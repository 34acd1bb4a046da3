#pragma once
// Owning view of one consumed Kafka record (RAII over rd_kafka_message_t). Move-only.
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace batchrun {

class Message {
 public:
  Message() = default;
  explicit Message(rd_kafka_message_t* m) : m_(m) {}
  explicit operator bool() const { return m_ != nullptr; }
  bool isError() const { return m_ && m_->err != RD_KAFKA_RESP_ERR_NO_ERROR; }
  rd_kafka_resp_err_t error() const { return m_ ? m_->err : RD_KAFKA_RESP_ERR_NO_ERROR; }
  std::string errorString() const;
  std::string topic() const;
  int32_t partition() const { return m_->partition; }
  int64_t offset() const { return m_->offset; }
  int64_t timestampMs() const;
  std::string_view key() const {
    return m_->key ? std::string_view(static_cast<const char*>(m_->key), m_->key_len) : std::string_view();
  }
  std::string_view value() const {
    return m_->payload ? std::string_view(static_cast<const char*>(m_->payload), m_->len) : std::string_view();
  }
  std::optional<std::string_view> header(const char* name) const;
  rd_kafka_message_t* raw() const { return m_.get(); }

 private:
  struct Destroy {
    void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  };
  std::unique_ptr<rd_kafka_message_t, Destroy> m_;
};

}  // namespace batchrun
