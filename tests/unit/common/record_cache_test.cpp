// RecordCache: records by position, least recently used first out, bounded in bytes.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/kafka/record_cache.hpp"

using namespace batchrun;

TEST(RecordCache, AnswersByPositionOnly) {
  RecordCache cache(1 << 20);
  cache.put({"t", 0, 5}, "five");
  EXPECT_EQ(cache.get({"t", 0, 5}), "five");
  EXPECT_FALSE(cache.get({"t", 1, 5}));
  EXPECT_FALSE(cache.get({"t", 0, 6}));
  EXPECT_FALSE(cache.get({"u", 0, 5}));
  cache.put({"t", 0, 5}, "other");  // a position holds one record: the first one stays
  EXPECT_EQ(cache.get({"t", 0, 5}), "five");
}

TEST(RecordCache, EvictsTheLeastRecentlyUsedBeyondItsBytes) {
  const std::string kb(1000, 'x');
  RecordCache cache(3 * (1000 + 64));  // room for three such records
  cache.put({"t", 0, 1}, kb);
  cache.put({"t", 0, 2}, kb);
  cache.put({"t", 0, 3}, kb);
  ASSERT_TRUE(cache.get({"t", 0, 1}));  // 1 is now the most recently used: 2 goes next
  cache.put({"t", 0, 4}, kb);
  EXPECT_TRUE(cache.get({"t", 0, 1}));
  EXPECT_FALSE(cache.get({"t", 0, 2}));
  EXPECT_TRUE(cache.get({"t", 0, 3}));
  EXPECT_TRUE(cache.get({"t", 0, 4}));
  EXPECT_LE(cache.bytes(), size_t{3 * (1000 + 64)});
  cache.put({"t", 0, 9}, std::string(5000, 'y'));  // larger than the whole cache: not kept
  EXPECT_FALSE(cache.get({"t", 0, 9}));
  EXPECT_TRUE(cache.get({"t", 0, 4}));
}
