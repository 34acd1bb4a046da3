#include "batchrun/common/ids.hpp"

#include <openssl/rand.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>

namespace batchrun {

const Uuid kRunNamespace = {0x6b, 0x1e, 0x6d, 0x1c, 0x2f, 0x3a, 0x4e, 0x5b,
                            0x9a, 0x10, 0x5b, 0x8e, 0x1d, 0x7c, 0x00, 0x01};
const Uuid kBatchNamespace = {0x6b, 0x1e, 0x6d, 0x1c, 0x2f, 0x3a, 0x4e, 0x5b,
                              0x9a, 0x10, 0x5b, 0x8e, 0x1d, 0x7c, 0x00, 0x02};
const Uuid kEventNamespace = {0x6b, 0x1e, 0x6d, 0x1c, 0x2f, 0x3a, 0x4e, 0x5b,
                              0x9a, 0x10, 0x5b, 0x8e, 0x1d, 0x7c, 0x00, 0x03};

namespace {

// A per-thread PRNG seeded from the OS: ids need uniqueness, not secrecy, and RAND_bytes per id
// would cost a lock on the hot path of a 1,000-item batch.
uint64_t randomWord() {
  thread_local std::mt19937_64 gen([] {
    uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
      seed = std::random_device{}();
    }
    return seed;
  }());
  return gen();
}

}  // namespace

void appendUuid(std::string& out, const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[u[i] >> 4]);
    out.push_back(kHex[u[i] & 0xf]);
  }
}

std::string formatUuid(const Uuid& u) {
  std::string out;
  out.reserve(36);
  appendUuid(out, u);
  return out;
}

namespace {
// Hex digit values by byte, -1 for anything else: parseUuid runs for every record ingest's view reads.
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) t['a' + c] = t['A' + c] = static_cast<int8_t>(10 + c);
  return t;
}();
}  // namespace

bool parseUuid(std::string_view text, Uuid& out) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return false;
  static constexpr uint8_t kPos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
  int bad = 0;
  for (size_t j = 0; j < 16; ++j) {
    const int hi = kHexValue[static_cast<uint8_t>(text[kPos[j]])], lo = kHexValue[static_cast<uint8_t>(text[kPos[j] + 1])];
    bad |= hi | lo;  // any -1 sets the sign bit
    out[j] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return bad >= 0;
}

Uuid uuidv7Start(int64_t unix_ms) {
  Uuid u{};
  auto ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) u[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  uint64_t r1 = randomWord(), r2 = randomWord();
  std::memcpy(&u[6], &r1, 2);
  std::memcpy(&u[8], &r2, 8);
  u[6] = static_cast<uint8_t>((u[6] & 0x0f) | 0x70);
  u[8] = static_cast<uint8_t>((u[8] & 0x0f) | 0x80);  // variant 10, then two zero bits of headroom
  return u;
}

Uuid uuidPlus(const Uuid& start, uint64_t n) {
  uint64_t low = 0;
  for (int i = 8; i < 16; ++i) low = low << 8 | start[static_cast<size_t>(i)];
  low += n;  // a uuidv7Start's headroom keeps the carry out of the variant bits
  Uuid u = start;
  for (int i = 15; i >= 8; --i, low >>= 8) u[static_cast<size_t>(i)] = static_cast<uint8_t>(low);
  return u;
}

std::string uuidv7Next(const Uuid& start, uint64_t n) { return formatUuid(uuidPlus(start, n)); }

// 72 random bits (two fewer than the RFC allows: the same layout as a request's first run id).
std::string uuidv7(int64_t unix_ms) { return formatUuid(uuidv7Start(unix_ms)); }

std::string uuidv7() {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return uuidv7(now.count());
}

std::string uuidv5(const Uuid& ns, std::string_view name) {
  std::string buf(reinterpret_cast<const char*>(ns.data()), ns.size());
  buf.append(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(buf.data(), buf.size(), digest, &len, EVP_sha1(), nullptr);
  Uuid u{};
  std::memcpy(u.data(), digest, 16);
  u[6] = static_cast<uint8_t>((u[6] & 0x0f) | 0x50);
  u[8] = static_cast<uint8_t>((u[8] & 0x3f) | 0x80);
  return formatUuid(u);
}

bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace batchrun
