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

// Adds a response header Pistache 0.0.5 has no class for. (Its Header::Raw entries are parsed from
// requests but never written into responses, so addRaw() on a response silently drops the header.)
void addHeader(Pistache::Http::ResponseWriter& rw, const char* name, std::string value);
// Connection: keep-alive, replacing the Close Pistache 0.0.5 sets when the request had no
// Connection header (add<Connection>() does not replace an existing header).
void keepAlive(Pistache::Http::ResponseWriter& rw);

void replyJson(Pistache::Http::ResponseWriter& rw, Pistache::Http::Code code, const std::string& body);
void replyError(Pistache::Http::ResponseWriter& rw, Pistache::Http::Code code, std::string_view error_code,
                std::string_view message, const std::vector<FieldError>& details = {}, int retry_after_s = 0);
// Maps an Error: invalid → 400, not found → 404, conflict → 409, exhausted → 429, unavailable → 503.
void replyFor(Pistache::Http::ResponseWriter& rw, const Error& error, int retry_after_s = 1);
std::string errorBody(std::string_view error_code, std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
