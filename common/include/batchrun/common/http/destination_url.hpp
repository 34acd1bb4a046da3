#pragma once
// Checks a subscriber- or user-supplied outbound URL (webhook endpoints, worker destinations) when
// it is registered: absolute http(s) URL, https unless plain http is allowed, no credentials, no
// loopback/private/link-local/multicast/unspecified host unless private destinations are allowed,
// and no cloud metadata service unless those are allowed (allowing private destinations does not
// allow them). The host is normalised first (case, trailing dots: "LOCALHOST." is "localhost"),
// and IPv6 forms carrying an IPv4 address are judged by it (address_ranges.hpp). A host name is
// resolved once and refused if any address is refused; a name that does not resolve now is
// accepted, because the authoritative check is HttpClient's OutboundPolicy at connect time
// (which also defeats DNS rebinding). With private destinations allowed, names are not resolved
// (only metadata names and literal addresses are judged). Thread-safe; may block on DNS.
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

struct DestinationRules {
  bool allow_plain_http = false;
  bool allow_private = false;
  bool allow_metadata = false;  // BATCHRUN_ALLOW_METADATA_DESTINATIONS
};

// kInvalidArgument with a message fit for the API's "url" field error.
Status checkDestinationUrl(std::string_view url, const DestinationRules& rules);

}  // namespace batchrun
