#include "batchrun/common/http/destination_url.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "batchrun/common/http/address_ranges.hpp"

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

struct Verdict {
  bool private_address = false;
  bool metadata = false;
};

// What `host` (normalised) resolves to; nothing when it does not resolve (see the header for why
// that is accepted). `numeric_only` judges an address literal without asking DNS about a name.
Verdict resolve(const std::string& host, bool numeric_only) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (numeric_only) hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  Verdict v;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return v;
  for (addrinfo* a = res; a; a = a->ai_next) {
    v.private_address = v.private_address || isPrivateAddress(a->ai_addr);
    v.metadata = v.metadata || isMetadataAddress(a->ai_addr);
  }
  freeaddrinfo(res);
  return v;
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
  // The resolver ignores case and a trailing dot, so the checks below must too ("LOCALHOST.").
  const std::string name = normalizeHostName(host);
  if (name.empty()) return Error::invalid("has no host");
  if (!rules.allow_metadata && isMetadataHostName(name)) {
    return Error::invalid("points to a cloud metadata service");
  }
  const bool local_name = name == "localhost" || name.ends_with(".localhost");
  if (!rules.allow_private && local_name) return Error::invalid("points to a private, loopback or link-local address");
  if (rules.allow_private && rules.allow_metadata) return {};
  const Verdict v = resolve(name, rules.allow_private);
  if (!rules.allow_metadata && v.metadata) return Error::invalid("points to a cloud metadata service");
  if (!rules.allow_private && v.private_address) {
    return Error::invalid("points to a private, loopback or link-local address");
  }
  return {};
}

}  // namespace batchrun
