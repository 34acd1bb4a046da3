#pragma once
// Which addresses an outbound call (worker, webhook, failure callback) must not reach, shared by
// the registration-time check (destination_url.hpp) and the connect-time one (HttpClient's
// OutboundPolicy), so both judge an address the same way. IPv6 forms that carry an IPv4 address
// (IPv4-mapped, IPv4-compatible, SIIT, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo's client) are
// judged by that IPv4 address: a relay or translator on the path would deliver them to it.
// Pure functions, thread-safe.
#include <sys/socket.h>

#include <string>
#include <string_view>

namespace batchrun {

// Loopback, RFC 1918, CGNAT, link-local, benchmarking, IETF-reserved, multicast, broadcast,
// unspecified; ULA, IPv6 link-/site-local, the local-use NAT64 prefix 64:ff9b:1::/48; and the
// IPv4 embeddings above of any of these. Non-IP families count as private (never reachable from
// the outside). OutboundPolicy::allow_private / DestinationRules::allow_private lift this.
bool isPrivateAddress(const sockaddr* addr);

// Cloud instance-metadata services, refused even where private destinations are allowed (their
// credentials are what a server-side request forgery is after): all of IPv4 link-local
// 169.254.0.0/16 (AWS, GCP, Azure, OCI, DigitalOcean IMDS at 169.254.169.254, ECS/EKS agents at
// 169.254.170.x), Alibaba's 100.100.100.200, Azure's WireServer 168.63.129.16, Oracle's legacy
// 192.0.0.192, AWS's IPv6 fd00:ec2::254 and fd00:ec2::23, and the IPv4 embeddings of these.
// Only OutboundPolicy::allow_metadata / DestinationRules::allow_metadata lift this.
bool isMetadataAddress(const sockaddr* addr);

// A URL host as a resolver sees it: ASCII lower case, trailing dots removed ("LOCALHOST." and
// "localhost" are one host; so are "127.0.0.1." and "127.0.0.1"), IPv6 brackets removed.
std::string normalizeHostName(std::string_view host);

// Names of metadata services (metadata.google.internal, metadata.goog, metadata, instance-data,
// instance-data.ec2.internal), for `host` as normalizeHostName returns it. Registration refuses
// them without resolving; at connect time the address they resolve to is what counts.
bool isMetadataHostName(std::string_view normalized_host);

}  // namespace batchrun
