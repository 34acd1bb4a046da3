#include <gtest/gtest.h>

#include <set>

#include "batchrun/common/ids.hpp"

using namespace batchrun;

TEST(Ids, UuidV7IsVersion7AndSortsByTime) {
  auto a = uuidv7(1000), b = uuidv7(2000);
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(uuidv7());
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Ids, UuidV5MatchesRfcExample) {
  // RFC 4122 DNS namespace, name "www.example.com" → 2ed6657d-e927-568b-95e1-2665a8aea6a2.
  Uuid dns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  EXPECT_EQ(uuidv5(dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  EXPECT_EQ(uuidv5(kRunNamespace, "p/k/0"), uuidv5(kRunNamespace, "p/k/0"));
  EXPECT_NE(uuidv5(kRunNamespace, "p/k/0"), uuidv5(kRunNamespace, "p/k/1"));
}

TEST(Ids, RejectsNonUuids) {
  EXPECT_FALSE(isUuid("not-a-uuid"));
  EXPECT_FALSE(isUuid("2ed6657d-e927-568b-95e1-2665a8aea6a"));
  EXPECT_FALSE(isUuid("2ed6657d-e927-568b-95e1-2665a8aea6ag"));
}
