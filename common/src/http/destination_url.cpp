#include "batchrun/common/http/destination_url.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "batchrun/common/http/http_client.hpp"

namespace batchrun {

namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct PartDeleter {
  void operator()(char* p) const { curl_free(p); }
};

std::string part(CURLU* u, CURLUPart which) {
  char* raw = nullptr;
  if (curl_url_get(u, which, &raw, 0) != CURLUE_OK || !raw) return {};
  std::unique_ptr<char, PartDeleter> owned(raw);
  return std::string(raw);
}

// Resolves `host` and reports whether any address is private (nullopt-like: false when it does
// not resolve, see the header for why that is accepted).
bool resolvesToPrivate(const std::string& host) {
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(bare.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  bool priv = false;
  for (addrinfo* a = res; a; a = a->ai_next) priv = priv || isPrivateAddress(a->ai_addr);
  freeaddrinfo(res);
  return priv;
}

}  // namespace

Status checkDestinationUrl(std::string_view url, const DestinationRules& rules) {
  if (url.empty()) return Error::invalid("is required");
  if (url.size() > 2048) return Error::invalid("must be at most 2048 characters");
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  std::string text(url);
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return Error::invalid("is not an absolute URL");
  }
  std::string scheme = part(u.get(), CURLUPART_SCHEME);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != "https" && scheme != "http") return Error::invalid("must be an http(s) URL");
  if (scheme == "http" && !rules.allow_plain_http) return Error::invalid("must use https");
  if (!part(u.get(), CURLUPART_USER).empty()) return Error::invalid("must not contain credentials");
  std::string host = part(u.get(), CURLUPART_HOST);
  if (host.empty()) return Error::invalid("has no host");
  if (rules.allow_private) return {};
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  bool local_name = lower == "localhost" || (lower.size() > 10 && lower.ends_with(".localhost"));
  if (local_name || resolvesToPrivate(host)) {
    return Error::invalid("points to a private, loopback or link-local address");
  }
  return {};
}

}  // namespace batchrun
