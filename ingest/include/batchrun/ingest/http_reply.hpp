#pragma once
// One place that turns outcomes into HTTP answers: JSON bodies, the error envelope
// {"error":{"code","message","details":[{"index","field","message"}]}}, Retry-After on 429/503, and
// an explicit keep-alive (Pistache 0.0.5 closes connections whose request has no Connection header).
#include <pistache/http.h>

#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/result.hpp"

namespace batchrun::ingest {

struct FieldError {
  int index = -1;      // item index in a batch, -1 when not about an item
  std::string field;   // e.g. "runs[3].priority"
  std::string message;
};

void replyJson(Pistache::Http::ResponseWriter& rw, Pistache::Http::Code code, const std::string& body);
void replyError(Pistache::Http::ResponseWriter& rw, Pistache::Http::Code code, std::string_view error_code,
                std::string_view message, const std::vector<FieldError>& details = {}, int retry_after_s = 0);
// Maps an Error: invalid → 400, not found → 404, conflict → 409, exhausted → 429, unavailable → 503.
void replyFor(Pistache::Http::ResponseWriter& rw, const Error& error, int retry_after_s = 1);
std::string errorBody(std::string_view error_code, std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
