#include "batchrun/common/http/address_ranges.hpp"

#include <netinet/in.h>

#include <array>
#include <initializer_list>
#include <cstdint>
#include <cstring>

namespace batchrun {

namespace {

bool inV4(uint32_t a, uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); }

bool privateV4(uint32_t a) {  // host byte order
  return inV4(a, 0x00000000, 8) ||   // 0.0.0.0/8 "this network"
         inV4(a, 0x0A000000, 8) ||   // 10/8
         inV4(a, 0x64400000, 10) ||  // 100.64/10 carrier-grade NAT
         inV4(a, 0x7F000000, 8) ||   // loopback
         inV4(a, 0xA9FE0000, 16) ||  // link-local (cloud metadata lives here)
         inV4(a, 0xAC100000, 12) ||  // 172.16/12
         inV4(a, 0xC0000000, 24) ||  // 192.0.0/24 IETF protocol assignments
         inV4(a, 0xC0A80000, 16) ||  // 192.168/16
         inV4(a, 0xC6120000, 15) ||  // 198.18/15 benchmarking
         inV4(a, 0xE0000000, 4) ||   // multicast
         inV4(a, 0xF0000000, 4);     // reserved + broadcast
}

bool metadataV4(uint32_t a) {
  return inV4(a, 0xA9FE0000, 16) ||  // 169.254/16: IMDS 169.254.169.254, ECS/EKS agents 169.254.170.x
         a == 0x646464C8 ||          // 100.100.100.200 Alibaba Cloud
         a == 0xA83F8110 ||          // 168.63.129.16 Azure WireServer
         a == 0xC00000C0;            // 192.0.0.192 Oracle Cloud (legacy)
}

uint32_t v4At(const uint8_t* b, int i0, int i1, int i2, int i3) {
  return (uint32_t(b[i0]) << 24) | (uint32_t(b[i1]) << 16) | (uint32_t(b[i2]) << 8) | uint32_t(b[i3]);
}

bool hasPrefix(const uint8_t* b, std::initializer_list<uint8_t> prefix) {
  size_t i = 0;
  for (uint8_t p : prefix) {
    if (b[i++] != p) return false;
  }
  return true;
}

// The IPv4 addresses an IPv6 address hands to a relay or translator (RFC 4291 mapped and
// compatible, RFC 2765 SIIT, RFC 6052 NAT64 at every prefix length the local-use prefix allows,
// RFC 3056 6to4, RFC 4380 Teredo's obfuscated client).
struct Embedded {
  std::array<uint32_t, 4> v4{};
  int count = 0;
  void add(uint32_t a) { v4[static_cast<size_t>(count++)] = a; }
};

Embedded embeddedV4(const uint8_t* b) {
  Embedded out;
  static const uint8_t kZero[16] = {};
  if (std::memcmp(b, kZero, 10) == 0 && b[10] == 0xff && b[11] == 0xff) {
    out.add(v4At(b, 12, 13, 14, 15));  // ::ffff:a.b.c.d
  } else if (std::memcmp(b, kZero, 8) == 0 && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) {
    out.add(v4At(b, 12, 13, 14, 15));  // ::ffff:0:a.b.c.d
  } else if (std::memcmp(b, kZero, 12) == 0) {
    out.add(v4At(b, 12, 13, 14, 15));  // ::a.b.c.d
  } else if (hasPrefix(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    out.add(v4At(b, 12, 13, 14, 15));  // 64:ff9b::/96
  } else if (hasPrefix(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) {
    // 64:ff9b:1::/48 is for a network's own translator, at a prefix length of its choosing.
    out.add(v4At(b, 6, 7, 9, 10));     // /48
    out.add(v4At(b, 7, 9, 10, 11));    // /56
    out.add(v4At(b, 9, 10, 11, 12));   // /64
    out.add(v4At(b, 12, 13, 14, 15));  // /96
  } else if (hasPrefix(b, {0x20, 0x02})) {
    out.add(v4At(b, 2, 3, 4, 5));  // 2002:a.b.c.d::/48
  } else if (hasPrefix(b, {0x20, 0x01, 0x00, 0x00})) {
    out.add(~v4At(b, 12, 13, 14, 15));  // Teredo: the client's address, bits inverted
  }
  return out;
}

bool privateV6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  static const uint8_t kZero[16] = {};
  if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  const Embedded e = embeddedV4(b);
  for (int i = 0; i < e.count; ++i) {
    if (privateV4(e.v4[static_cast<size_t>(i)])) return true;
  }
  if (std::memcmp(b, kZero, 12) == 0) return true;             // deprecated IPv4-compatible ::a.b.c.d
  if (hasPrefix(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return true;  // local-use NAT64 (RFC 8215)
  if (hasPrefix(b, {0x01, 0x00, 0, 0, 0, 0, 0, 0})) return true;       // 100::/64 discard-only
  if ((b[0] & 0xfe) == 0xfc) return true;                      // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;      // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;      // fec0::/10 site-local (deprecated)
  if (b[0] == 0xff) return true;                               // multicast
  return false;
}

bool metadataV6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  // fd00:ec2::254 and fd00:ec2::23 (AWS IMDS and EKS Pod Identity over IPv6).
  if (hasPrefix(b, {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}) && b[15] == 0x54) return true;
  if (hasPrefix(b, {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00}) && b[15] == 0x23) return true;
  const Embedded e = embeddedV4(b);
  for (int i = 0; i < e.count; ++i) {
    if (metadataV4(e.v4[static_cast<size_t>(i)])) return true;
  }
  return false;
}

}  // namespace

bool isPrivateAddress(const sockaddr* addr) {
  if (addr == nullptr) return true;
  if (addr->sa_family == AF_INET) {
    return privateV4(ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) return privateV6(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
  return true;
}

bool isMetadataAddress(const sockaddr* addr) {
  if (addr == nullptr) return false;
  if (addr->sa_family == AF_INET) {
    return metadataV4(ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) return metadataV6(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
  return false;
}

std::string normalizeHostName(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool isMetadataHostName(std::string_view h) {
  return h == "metadata.google.internal" || h == "metadata.goog" || h == "metadata" || h == "instance-data" ||
         h == "instance-data.ec2.internal";
}

}  // namespace batchrun
