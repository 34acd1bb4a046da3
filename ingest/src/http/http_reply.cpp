#include "batchrun/ingest/http/http_reply.hpp"

#include <memory>
#include <ostream>

#include "batchrun/common/json.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;

namespace {

// A response header with a name chosen at run time (Retry-After, WWW-Authenticate, ...).
class NamedHeader final : public Pistache::Http::Header::Header {
 public:
  NamedHeader(const char* name, std::string value) : name_(name), value_(std::move(value)) {}
  const char* name() const override { return name_; }
  uint64_t hash() const override { return Pistache::Http::Header::detail::hash(name_); }
  void write(std::ostream& os) const override { os << value_; }

 private:
  const char* name_;
  std::string value_;
};

}  // namespace

void addHeader(Pistache::Http::ResponseWriter& rw, const char* name, std::string value) {
  rw.headers().remove(name);
  rw.headers().add(std::make_shared<NamedHeader>(name, std::move(value)));
}

void keepAlive(Pistache::Http::ResponseWriter& rw) {
  rw.headers().remove<Pistache::Http::Header::Connection>();
  rw.headers().add<Pistache::Http::Header::Connection>(Pistache::Http::ConnectionControl::KeepAlive);
}

void replyJson(Pistache::Http::ResponseWriter& rw, Code code, const std::string& body) {
  rw.headers().add<Pistache::Http::Header::ContentType>(MIME(Application, Json));
  keepAlive(rw);
  rw.send(code, body);
}

std::string errorBody(std::string_view error_code, std::string_view message, const std::vector<FieldError>& details) {
  std::string body = "{\"error\":{\"code\":";
  json::appendString(body, error_code);
  body += ",\"message\":";
  json::appendString(body, message);
  body += ",\"details\":[";
  for (size_t i = 0; i < details.size(); ++i) {
    if (i) body += ',';
    body += "{";
    if (details[i].index >= 0) body += "\"index\":" + std::to_string(details[i].index) + ",";
    body += "\"field\":";
    json::appendString(body, details[i].field);
    body += ",\"message\":";
    json::appendString(body, details[i].message);
    body += "}";
  }
  body += "]}}";
  return body;
}

void replyError(Pistache::Http::ResponseWriter& rw, Code code, std::string_view error_code, std::string_view message,
                const std::vector<FieldError>& details, int retry_after_s) {
  if (retry_after_s > 0) addHeader(rw, "Retry-After", std::to_string(retry_after_s));
  replyJson(rw, code, errorBody(error_code, message, details));
}

void replyFor(Pistache::Http::ResponseWriter& rw, const Error& error, int retry_after_s) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: return replyError(rw, Code::Bad_Request, "invalid_request", error.message);
    case ErrorCode::kNotFound: return replyError(rw, Code::Not_Found, "not_found", error.message);
    case ErrorCode::kConflict: return replyError(rw, Code::Conflict, "conflict", error.message);
    case ErrorCode::kResourceExhausted:
      return replyError(rw, Code::Too_Many_Requests, "backpressure", error.message, {}, retry_after_s);
    case ErrorCode::kUnavailable:
      return replyError(rw, Code::Service_Unavailable, "unavailable", error.message, {}, retry_after_s);
    case ErrorCode::kFailedPrecondition: return replyError(rw, Code::Conflict, "failed_precondition", error.message);
    case ErrorCode::kInternal: return replyError(rw, Code::Internal_Server_Error, "internal", error.message);
  }
}

}  // namespace batchrun::ingest
