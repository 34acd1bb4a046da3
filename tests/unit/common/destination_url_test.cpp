// Registration-time destination checks (destination_url.hpp) and the address classes both they
// and HttpClient's connect-time OutboundPolicy use (address_ranges.hpp).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "../../support/wait.hpp"
#include "batchrun/common/http/address_ranges.hpp"
#include "batchrun/common/http/destination_url.hpp"
#include "batchrun/common/http/http_client.hpp"

using namespace batchrun;

namespace {

const DestinationRules kStrict{.allow_plain_http = true};
const DestinationRules kPrivateAllowed{.allow_plain_http = true, .allow_private = true};

// A literal IPv4 or IPv6 address as the sockaddr the resolver / curl would hand over.
struct Address {
  sockaddr_storage storage{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Address literal(const char* text) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    ADD_FAILURE() << "not an address: " << text;
  }
  return a;
}

TEST(DestinationUrl, NormalisesCaseAndTrailingDotsBeforeJudging) {
  for (const char* url : {"http://LOCALHOST./", "http://localhost./", "http://LocalHost/", "http://127.0.0.1./",
                          "http://A.LOCALHOST./", "http://10.0.0.1./"}) {
    auto st = checkDestinationUrl(url, kStrict);
    ASSERT_FALSE(st) << url;
    EXPECT_NE(st.error().message.find("private"), std::string::npos) << url;
  }
}

TEST(DestinationUrl, Refuses6to4AndNat64FormsOfPrivateAddresses) {
  for (const char* url : {"http://[2002:7f00:1::]/", "http://[2002:a00:1::1]/", "http://[2002:c0a8:101::]/",
                          "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::10.0.0.1]/", "http://[64:ff9b:1::a00:1]/",
                          "http://[64:ff9b:1::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:0:a00:1]/"}) {
    EXPECT_FALSE(checkDestinationUrl(url, kStrict)) << url;
  }
  // The same forms of a public address stay allowed (93.184.216.34).
  for (const char* url : {"http://[2002:5db8:d822::1]/", "http://[64:ff9b::5db8:d822]/", "http://93.184.216.34/"}) {
    EXPECT_TRUE(checkDestinationUrl(url, kStrict)) << url;
  }
}

TEST(DestinationUrl, RefusesMetadataServicesEvenWhenPrivateIsAllowed) {
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://169.254.169.254./",
                          "http://169.254.170.2/v2", "http://[fd00:ec2::254]/", "http://[FD00:EC2::254]/", "http://metadata.google.internal/",
                          "http://METADATA.GOOGLE.INTERNAL./", "http://metadata/", "http://100.100.100.200/",
                          "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
                          "http://[2002:a9fe:a9fe::]/", "http://2852039166/"}) {
    for (const auto& rules : {kStrict, kPrivateAllowed}) {
      auto st = checkDestinationUrl(url, rules);
      ASSERT_FALSE(st) << url;
      EXPECT_NE(st.error().message.find("metadata"), std::string::npos) << url << ": " << st.error().message;
    }
  }
  // Private destinations allowed: loopback passes, metadata does not; an explicit setting lets it.
  EXPECT_TRUE(checkDestinationUrl("http://127.0.0.1:8091/hook", kPrivateAllowed));
  EXPECT_TRUE(checkDestinationUrl("http://LOCALHOST./", kPrivateAllowed));
  DestinationRules metadata_allowed = kPrivateAllowed;
  metadata_allowed.allow_metadata = true;
  EXPECT_TRUE(checkDestinationUrl("http://169.254.169.254/", metadata_allowed));
  EXPECT_TRUE(checkDestinationUrl("http://metadata.google.internal/", metadata_allowed));
}

TEST(AddressRanges, EmbeddedIPv4IsJudgedByTheIPv4Address) {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "::1", "fe80::1", "fd12::1", "2002:7f00:1::", "2002:a00:1::",
                        "64:ff9b::7f00:1", "64:ff9b:1::a00:1", "64:ff9b:1:7f00:0:100::", "::ffff:192.168.1.1",
                        "2001:0:4136:e378:8000:63bf:80ff:fffe" /* Teredo, client 127.0.0.1 */}) {
    EXPECT_TRUE(isPrivateAddress(literal(a).get())) << a;
  }
  for (const char* a : {"93.184.216.34", "2606:2800:220:1::", "2002:5db8:d822::", "64:ff9b::5db8:d822"}) {
    EXPECT_FALSE(isPrivateAddress(literal(a).get())) << a;
  }
  for (const char* a : {"169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "fd00:ec2::254",
                        "fd00:ec2::23", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::"}) {
    EXPECT_TRUE(isMetadataAddress(literal(a).get())) << a;
  }
  for (const char* a : {"127.0.0.1", "10.0.0.1", "fd00:ec2::1", "93.184.216.34", "::1"}) {
    EXPECT_FALSE(isMetadataAddress(literal(a).get())) << a;
  }
}

TEST(AddressRanges, NormalisedHostNames) {
  EXPECT_EQ(normalizeHostName("LOCALHOST."), "localhost");
  EXPECT_EQ(normalizeHostName("127.0.0.1."), "127.0.0.1");
  EXPECT_EQ(normalizeHostName("[FD00:EC2::254]"), "fd00:ec2::254");
  EXPECT_EQ(normalizeHostName("Example.COM"), "example.com");
}

// The connect-time check: curl's open-socket hook refuses these before a connection is tried,
// so no server or route is needed.
HttpResult fetch(const OutboundPolicy& policy, const std::string& url) {
  HttpClient client(policy);
  auto result = std::make_shared<HttpResult>();
  auto done = std::make_shared<std::atomic<bool>>(false);
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.timeout_ms = 2000;
  client.submit(req, [result, done](HttpResult&& r) {
    *result = std::move(r);
    done->store(true);
  });
  EXPECT_TRUE(batchrun::testing::waitFor([&] { return done->load(); }, std::chrono::seconds(10))) << url;
  return *result;
}

TEST(OutboundPolicy, RefusesEmbeddedPrivateAndMetadataAddressesAtConnect) {
  for (const char* url : {"http://[2002:7f00:1::]:9/", "http://[64:ff9b::7f00:1]:9/", "http://[64:ff9b:1::a00:1]:9/"}) {
    auto r = fetch(OutboundPolicy{.allow_private = false}, url);
    EXPECT_TRUE(r.blocked) << url << ": " << r.error;
  }
  for (const char* url :
       {"http://169.254.169.254:9/", "http://[fd00:ec2::254]:9/", "http://[::ffff:169.254.169.254]:9/"}) {
    auto r = fetch(OutboundPolicy{.allow_private = true}, url);
    EXPECT_TRUE(r.blocked) << url << ": " << r.error;
    EXPECT_EQ(r.error, "destination address not allowed") << url;
  }
}

}  // namespace
