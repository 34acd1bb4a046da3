#include "batchrun/common/kafka/message.hpp"

namespace batchrun {

std::string Message::errorString() const {
  if (!m_) return {};
  if (m_->payload && m_->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::string(static_cast<const char*>(m_->payload), m_->len);
  }
  return rd_kafka_err2str(m_->err);
}

std::string Message::topic() const { return m_->rkt ? rd_kafka_topic_name(m_->rkt) : std::string(); }

int64_t Message::timestampMs() const {
  rd_kafka_timestamp_type_t type;
  return rd_kafka_message_timestamp(m_.get(), &type);
}

std::optional<std::string_view> Message::header(const char* name) const {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* v = nullptr;
  size_t len = 0;
  if (rd_kafka_header_get_last(hdrs, name, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string_view(static_cast<const char*>(v), len);
}

}  // namespace batchrun
