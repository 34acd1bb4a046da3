#include "callback_receiver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

namespace batchrun::testing {

namespace {

using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

class CallbackHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(CallbackHandler)
  explicit CallbackHandler(CallbackReceiver* receiver) : receiver_(receiver) {}

  void onRequest(const Request& request, ResponseWriter rw) override {
    CallbackHit hit;
    hit.path = request.resource();
    hit.body = request.body();
    for (const auto& [name, raw] : request.headers().rawList()) hit.headers[lower(name)] = raw.value();
    // Pistache parses these two into typed headers instead of keeping them raw.
    if (auto ct = request.headers().tryGet<Pistache::Http::Header::ContentType>()) {
      hit.headers["content-type"] = ct->mime().toString();
    }
    if (auto auth = request.headers().tryGet<Pistache::Http::Header::Authorization>()) {
      hit.headers["authorization"] = auth->value();
    }
    demo_worker::sendJson(rw, receiver_->receive(std::move(hit)), "{}");
  }

 private:
  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }
  CallbackReceiver* receiver_;
};

}  // namespace

CallbackReceiver::CallbackReceiver(int fail_first) : fail_first_(fail_first) {
  auto st = server_.start("127.0.0.1", 0, 2, std::make_shared<CallbackHandler>(this));
  if (!st) ADD_FAILURE() << "callback receiver: " << st.error().message;
}

CallbackReceiver::~CallbackReceiver() { server_.stop(); }

std::string CallbackReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
}

std::vector<CallbackHit> CallbackReceiver::hits(const std::string& path) const {
  std::lock_guard lock(mu_);
  std::vector<CallbackHit> out;
  for (const auto& h : hits_) {
    if (h.path == path) out.push_back(h);
  }
  return out;
}

int CallbackReceiver::receive(CallbackHit hit) {
  std::lock_guard lock(mu_);
  hit.answered = ++received_ <= fail_first_ ? 500 : 200;
  hits_.push_back(std::move(hit));
  return hits_.back().answered;
}

}  // namespace batchrun::testing
