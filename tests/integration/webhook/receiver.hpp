#pragma once
// A real local webhook receiver for the webhook-sender tests (Pistache on 127.0.0.1, port 0).
// POST /<name>: behaves as configured for that name (fail the first N attempts of each
// webhook-id, answer a fixed status) and records every request. Signatures are verified here with
// OpenSSL directly — independently of batchrun's own signing code — against the secrets the test
// registers for that name: a request counts as valid when every registered secret has a matching
// "v1," entry in its webhook-signature header. Also a DeadListener: accepts TCP connections and
// never answers (a hung endpoint). Thread-safe.
#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace batchrun::testing {

struct Hit {
  std::string id;
  std::string timestamp;
  std::string signature;
  std::string body;
  std::string traceparent;
  std::string content_type;
  bool valid = false;
  int answered = 0;
};

struct Behaviour {
  int fail_first = 0;  // per webhook-id: answer fail_status to the first N attempts
  int fail_status = 500;
  std::set<std::string> fail_ids{};  // the webhook-ids fail_first applies to (empty: every one)
  int status = 200;
  // Once this many distinct webhook-ids were answered 2xx, every other one gets 503: a test can
  // stop a sender mid-batch by construction instead of hoping to be faster than it.
  size_t accept_limit = SIZE_MAX;
};

// Standard Webhooks verification written against OpenSSL only.
bool verifyStandardWebhook(const std::string& secret, const std::string& id, const std::string& timestamp,
                           const std::string& body, const std::string& signature_header);

class Receiver {
 public:
  Receiver();
  ~Receiver();
  std::string url(const std::string& name) const;
  void behave(const std::string& name, Behaviour b);
  void expectSecrets(const std::string& name, std::vector<std::string> secrets);

  std::vector<Hit> hits(const std::string& name);
  size_t count(const std::string& name);
  std::set<std::string> ids(const std::string& name);        // distinct webhook-ids answered 2xx
  size_t invalid(const std::string& name);                  // requests whose signature did not verify

 private:
  Pistache::Rest::Router router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::mutex mu_;
  std::map<std::string, Behaviour> behaviour_;
  std::map<std::string, std::vector<std::string>> secrets_;
  std::map<std::string, std::vector<Hit>> hits_;
  std::map<std::string, std::map<std::string, int>> attempts_;  // name → id → attempts seen
  std::map<std::string, std::set<std::string>> accepted_;      // name → ids answered 2xx
};

class DeadListener {
 public:
  DeadListener();
  ~DeadListener();
  std::string url() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace batchrun::testing
