#include "batchrun/demo_worker/receiver.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/demo_worker/webhook_signature.hpp"

namespace batchrun::demo_worker {

namespace {
using Pistache::Http::Method;
using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

class ReceiverHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(ReceiverHandler)
  explicit ReceiverHandler(Receiver* receiver) : receiver_(receiver) {}

  void onRequest(const Request& request, ResponseWriter rw) override {
    try {
      const std::string& path = request.resource();
      bool get = request.method() == Method::Get;
      if (get && (path == "/healthz" || path == "/readyz")) return sendJson(rw, 200, R"({"status":"ok"})");
      if (get && path == "/stats") return sendJson(rw, 200, receiver_->statsJson());
      if (get && path == "/events") return sendJson(rw, 200, receiver_->eventsJson());
      if (request.method() == Method::Post && path == "/stats/reset") {
        receiver_->reset();
        return sendJson(rw, 200, receiver_->statsJson());
      }
      if (request.method() != Method::Post) return sendJson(rw, 405, R"({"error":"webhooks are POSTed"})");
      int status = receiver_->receive(request);
      sendJson(rw, status, status < 300 ? R"({"received":true})" : R"({"received":false})");
    } catch (const std::exception& e) {
      log::error("demo receiver request failed", {{"error", e.what()}});
    }
  }

 private:
  Receiver* receiver_;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

Receiver::Receiver(Config config) : config_(std::move(config)) {}

Receiver::~Receiver() { stop(); }

Status Receiver::start() {
  if (auto st = server_.start(config_.host, config_.port, config_.threads, std::make_shared<ReceiverHandler>(this));
      !st) {
    return st;
  }
  bool verifying = !config_.receiver_secret.empty() || !config_.receiver_secret_file.empty();
  log::info("demo webhook receiver listening", {{"address", config_.host + ":" + std::to_string(port())},
                                               {"signatures", verifying ? "verified" : "not checked"}});
  return {};
}

void Receiver::stop() { server_.stop(); }

std::string Receiver::currentSecret() const {
  if (!config_.receiver_secret.empty()) return config_.receiver_secret;
  if (config_.receiver_secret_file.empty()) return {};
  // Re-read every time: the file is tiny and scripts/run writes it after the receiver started.
  std::ifstream in(config_.receiver_secret_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

int Receiver::receive(const Request& request) {
  SignedWebhook w{headerValue(request, "webhook-id"), headerValue(request, "webhook-timestamp"),
                  headerValue(request, "webhook-signature"), request.body()};
  std::string secret = currentSecret();
  std::string why = secret.empty() ? std::string() : verifyWebhook(secret, w, SystemClock::instance().nowMs() / 1000);
  std::string signature = secret.empty() ? "not checked" : why.empty() ? "valid" : "invalid: " + why;

  std::string type;
  rapidjson::Document doc;
  bool is_json = json::parseRecord(doc, w.body).ok();
  if (is_json && doc.IsObject()) json::getString(doc, "type", type);

  std::string line = "{\"webhook_id\":";
  json::appendString(line, w.id);
  line += ",\"type\":";
  json::appendString(line, type);
  line += ",\"signature\":";
  json::appendString(line, signature);
  line += ",\"body\":";
  if (is_json) {
    line += json::stringify(doc);
  } else {
    json::appendString(line, json::toValidUtf8(w.body));
  }
  line += "}";

  std::lock_guard lock(mu_);
  ++total_;
  if (config_.print) {
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
  }
  if (!why.empty()) {
    ++rejected_;
    return 401;
  }
  if (!secret.empty()) ++verified_;
  if (!w.id.empty()) ids_.insert(w.id);
  ++by_type_[type.empty() ? "(none)" : type];
  recent_.push_back(is_json ? json::stringify(doc) : std::string("null"));
  if (recent_.size() > kRecentWebhooks) recent_.pop_front();
  return config_.receiver_status;
}

std::string Receiver::statsJson() const {
  std::lock_guard lock(mu_);
  std::string out = "{\"total\":" + std::to_string(total_) + ",\"verified\":" + std::to_string(verified_) +
                    ",\"rejected\":" + std::to_string(rejected_) + ",\"unique_ids\":" + std::to_string(ids_.size()) +
                    ",\"by_type\":{";
  bool first = true;
  for (const auto& [type, n] : by_type_) {
    if (!first) out += ',';
    first = false;
    json::appendKey(out, type);
    out += std::to_string(n);
  }
  return out + "}}";
}

std::string Receiver::eventsJson() const {
  std::lock_guard lock(mu_);
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < recent_.size(); ++i) {
    if (i) out += ',';
    out += recent_[i];
  }
  return out + "]}";
}

void Receiver::reset() {
  std::lock_guard lock(mu_);
  total_ = verified_ = rejected_ = 0;
  ids_.clear();
  by_type_.clear();
  recent_.clear();
}

}  // namespace batchrun::demo_worker
