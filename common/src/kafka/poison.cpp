#include "batchrun/common/kafka/poison.hpp"

#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {

namespace {
// Enough to remember every record of a poisoned compacted topic between re-reads; past it the set
// starts again (a record is then logged and copied once more, nothing worse).
constexpr size_t kMaxRemembered = 100000;
constexpr size_t kMaxReasonBytes = 512;

std::string boundedReason(std::string_view reason) {
  // Reasons quote decoder messages; keep them short and valid UTF-8 for the log and the header.
  return json::toValidUtf8(reason, kMaxReasonBytes);
}
}  // namespace

OutMessage deadLetterCopy(const Message& m, const std::string& dead_letter_topic, std::string_view service,
                          std::string_view reason) {
  OutMessage out;
  out.topic = dead_letter_topic;
  out.key = std::string(m.key());
  out.value = std::string(m.value());
  rd_kafka_headers_t* hdrs = nullptr;
  if (m.raw() && rd_kafka_message_headers(m.raw(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* v = nullptr;
    size_t len = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      out.headers.emplace_back(name, v ? std::string(static_cast<const char*>(v), len) : std::string());
    }
  }
  out.headers.emplace_back(dead_letter_header::kTopic, m.topic());
  out.headers.emplace_back(dead_letter_header::kPartition, std::to_string(m.partition()));
  out.headers.emplace_back(dead_letter_header::kOffset, std::to_string(m.offset()));
  out.headers.emplace_back(dead_letter_header::kService, std::string(service));
  out.headers.emplace_back(dead_letter_header::kReason, boundedReason(reason));
  return out;
}

PoisonRecords::PoisonRecords(std::string service, std::string dead_letter_topic, Producer* producer,
                             MetricsRegistry& metrics)
    : service_(std::move(service)), topic_(std::move(dead_letter_topic)), producer_(producer), metrics_(metrics) {}

std::optional<OutMessage> PoisonRecords::take(const Message& m, std::string_view reason) {
  const std::string topic = m.topic();
  {
    std::lock_guard lock(mu_);
    if (seen_.size() >= kMaxRemembered) seen_.clear();
    if (!seen_.insert(topic + "/" + std::to_string(m.partition()) + "/" + std::to_string(m.offset())).second) {
      return std::nullopt;
    }
    ++total_;
  }
  metrics_
      .counter("batchrun_" + service_ + "_poison_records_total",
               "Records this service could not decode or apply: skipped and copied to the dead-letter topic",
               {{"topic", topic}})
      .inc();
  const std::string why = boundedReason(reason);
  log::error("poison record skipped and copied to the dead-letter topic",
             {{"topic", topic}, {"partition", std::to_string(m.partition())}, {"offset", std::to_string(m.offset())},
              {"reason", why}, {"dead_letter_topic", topic_}});
  return deadLetterCopy(m, topic_, service_, why);
}

void PoisonRecords::report(const Message& m, std::string_view reason) {
  auto copy = take(m, reason);
  if (!copy) return;
  const std::string topic = m.topic();
  Status st;
  {
    std::lock_guard lock(mu_);  // produce() only enqueues; holding the lock keeps detach honest
    if (producer_ == nullptr) return;
    st = producer_->produce(std::move(*copy), nullptr, nullptr);
  }
  if (!st) {
    log::warn("poison record not copied to the dead-letter topic",
              {{"topic", topic}, {"offset", std::to_string(m.offset())}, {"error", st.error().message}});
  }
}

std::function<void(const Message&)> PoisonRecords::guard(std::function<std::string(const Message&)> apply) {
  return [this, apply = std::move(apply)](const Message& m) {
    std::string why;
    try {
      why = apply(m);
    } catch (const std::exception& e) {
      why = std::string("exception while applying: ") + e.what();
    } catch (...) {
      why = "exception while applying";
    }
    if (why.empty()) return;
    try {
      report(m, why);
    } catch (...) {  // nothing escapes a follower's thread (bad_alloc while reporting)
    }
  };
}

std::function<void(const Message&)> guardRecords(PoisonRecords* poison,
                                                 std::function<std::string(const Message&)> apply) {
  if (poison != nullptr) return poison->guard(std::move(apply));
  return [apply = std::move(apply)](const Message& m) {
    std::string why;
    try {
      why = apply(m);
    } catch (const std::exception& e) {
      why = std::string("exception while applying: ") + e.what();
    }
    if (!why.empty()) {
      log::warn("record skipped", {{"topic", m.topic()}, {"offset", std::to_string(m.offset())}, {"reason", why}});
    }
  };
}

void PoisonRecords::detachProducer() {
  std::lock_guard lock(mu_);
  producer_ = nullptr;
}

double PoisonRecords::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace batchrun
