#include "batchrun/common/clock.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace batchrun {

int64_t SystemClock::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

namespace {
void putDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}
}  // namespace

std::string formatRfc3339(int64_t unix_ms) {
  // Written digit by digit: gmtime_r + snprintf were ≈ 4 % of the dispatcher's CPU in a profile
  // (every event and several state fields carry a time).
  using namespace std::chrono;
  // A time read from a record may be any int64, and floor<days> overflows near INT64_MIN (found by
  // tests/fuzz/fuzz_events): clamped to ±8.64e15 ms (±100,000,000 days, JavaScript's date range).
  constexpr int64_t kLimitMs = 8'640'000'000'000'000;
  unix_ms = std::clamp(unix_ms, -kLimitMs, kLimitMs);
  const sys_time<milliseconds> tp{milliseconds{unix_ms}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{tp - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    // Outside what four digits hold: the C library's rendering (a sign or a fifth digit).
    const std::time_t t = static_cast<std::time_t>(floor<seconds>(tp).time_since_epoch().count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(hms.subseconds().count()));
    return buf;
  }
  std::string out(24, ' ');  // YYYY-MM-DDTHH:MM:SS.mmmZ
  char* p = out.data();
  putDigits(p, year, 4);
  p[4] = '-';
  putDigits(p + 5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  p[7] = '-';
  putDigits(p + 8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  p[10] = 'T';
  putDigits(p + 11, static_cast<int>(hms.hours().count()), 2);
  p[13] = ':';
  putDigits(p + 14, static_cast<int>(hms.minutes().count()), 2);
  p[16] = ':';
  putDigits(p + 17, static_cast<int>(hms.seconds().count()), 2);
  p[19] = '.';
  putDigits(p + 20, static_cast<int>(hms.subseconds().count()), 3);
  p[23] = 'Z';
  return out;
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<int64_t> parseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // days_from_civil (Howard Hinnant): exact for the proleptic Gregorian calendar.
  int yy = y - (mo <= 2);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  unsigned yoe = static_cast<unsigned>(yy - era * 400);
  unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
  return secs * 1000 + frac_ms;
}

}  // namespace batchrun
