#include "receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace batchrun::testing {

using namespace Pistache;

namespace {

std::string b64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

bool unb64(const std::string& in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.assign(in.size() / 4 * 3 + 1, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (len < 0) return false;
  size_t pad = (in.size() >= 1 && in[in.size() - 1] == '=') + (in.size() >= 2 && in[in.size() - 2] == '=');
  out.resize(static_cast<size_t>(len) - pad);
  return true;
}

std::string header(const Rest::Request& req, const char* name) {
  auto h = req.headers().tryGetRaw(name);
  return h ? h->value() : std::string();
}

}  // namespace

bool verifyStandardWebhook(const std::string& secret, const std::string& id, const std::string& timestamp,
                           const std::string& body, const std::string& signature_header) {
  std::string encoded = secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret;
  std::string key;
  if (!unb64(encoded, key)) return false;
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &mac_len);
  std::string expected = "v1," + b64(mac, mac_len);
  std::istringstream parts(signature_header);
  std::string sig;
  while (parts >> sig) {
    if (sig == expected) return true;
  }
  return false;
}

Receiver::Receiver() {
  Rest::Routes::Post(router_, "/:name", [this](const Rest::Request& req, Http::ResponseWriter rw) {
    std::string name = req.param(":name").as<std::string>();
    Hit hit;
    hit.id = header(req, "webhook-id");
    hit.timestamp = header(req, "webhook-timestamp");
    hit.signature = header(req, "webhook-signature");
    hit.traceparent = header(req, "traceparent");
    hit.content_type = header(req, "Content-Type");
    hit.body = req.body();
    int status = 200;
    {
      std::lock_guard lock(mu_);
      const auto& secrets = secrets_[name];
      hit.valid = !secrets.empty() && !hit.id.empty();
      for (const auto& s : secrets) hit.valid = hit.valid && verifyStandardWebhook(s, hit.id, hit.timestamp, hit.body, hit.signature);
      Behaviour b = behaviour_[name];
      int n = ++attempts_[name][hit.id];
      bool may_fail = b.fail_ids.empty() || b.fail_ids.count(hit.id);
      status = may_fail && n <= b.fail_first ? b.fail_status : b.status;
      auto& accepted = accepted_[name];
      if (status / 100 == 2 && !accepted.count(hit.id)) {
        if (accepted.size() >= b.accept_limit) status = 503; else accepted.insert(hit.id);
      }
      hit.answered = status;
      hits_[name].push_back(hit);
    }
    rw.send(static_cast<Http::Code>(status), "");
    return Rest::Route::Result::Ok;
  });
  endpoint_ = std::make_unique<Http::Endpoint>(Address("127.0.0.1", Port(0)));
  endpoint_->init(Http::Endpoint::options().threads(2).maxRequestSize(1 << 20).flags(Tcp::Options::ReuseAddr));
  endpoint_->setHandler(router_.handler());
  endpoint_->serveThreaded();
}

Receiver::~Receiver() {
  // Destroying the endpoint joins its threads: no handler may still touch the members below, which
  // are destroyed next (shutdown() alone leaves them running; TSan caught one).
  endpoint_->shutdown();
  endpoint_.reset();
}

std::string Receiver::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort())) + "/" + name;
}

void Receiver::behave(const std::string& name, Behaviour b) {
  std::lock_guard lock(mu_);
  behaviour_[name] = b;
}

void Receiver::expectSecrets(const std::string& name, std::vector<std::string> secrets) {
  std::lock_guard lock(mu_);
  secrets_[name] = std::move(secrets);
}

std::vector<Hit> Receiver::hits(const std::string& name) {
  std::lock_guard lock(mu_);
  return hits_[name];
}

size_t Receiver::count(const std::string& name) {
  std::lock_guard lock(mu_);
  return hits_[name].size();
}

std::set<std::string> Receiver::ids(const std::string& name) {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& h : hits_[name]) {
    if (h.answered >= 200 && h.answered < 300) out.insert(h.id);
  }
  return out;
}

size_t Receiver::invalid(const std::string& name) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& h : hits_[name]) n += h.valid ? 0 : 1;
  return n;
}

DeadListener::DeadListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd_, 1024);  // connections complete in the kernel; nobody ever reads or answers
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

DeadListener::~DeadListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DeadListener::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/dead"; }

}  // namespace batchrun::testing
