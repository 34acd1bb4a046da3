#pragma once
// Checks a subscriber- or user-supplied outbound URL (webhook endpoints, worker destinations) when
// it is registered: absolute http(s) URL, https unless plain http is allowed, no credentials, and
// no loopback/private/link-local/multicast/unspecified host unless private destinations are
// allowed. A host name is resolved once and refused if any address is private; a name that does
// not resolve now is accepted, because the authoritative check is HttpClient's OutboundPolicy at
// connect time (which also defeats DNS rebinding). Thread-safe; may block on DNS.
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

struct DestinationRules {
  bool allow_plain_http = false;
  bool allow_private = false;
};

// kInvalidArgument with a message fit for the API's "url" field error.
Status checkDestinationUrl(std::string_view url, const DestinationRules& rules);

}  // namespace batchrun
