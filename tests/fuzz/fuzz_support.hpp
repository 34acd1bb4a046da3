#pragma once
// Shared by the fuzz targets (tests/fuzz/README.md): invariant checks that abort with a message,
// which libFuzzer reports as a crash and saves the input for; a guard that turns any exception
// escaping a parser into such a crash; and JSON checks of what the parsers produce.
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/json_parse.hpp"

namespace batchrun::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, file, line);
  std::abort();
}

#define FUZZ_CHECK(cond)                                           \
  do {                                                             \
    if (!(cond)) ::batchrun::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)

// Runs `f`; none of batchrun's parsers and codecs throws (they return errors as values), so any
// exception is a bug: reported with its text rather than as a bare std::terminate.
template <typename F>
void noThrow(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: %s threw %s\n", what, e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: %s threw a non-std exception\n", what);
    std::abort();
  }
}

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes the part of `in` before the first `sep` (all of it when there is none) and removes it and
// the separator from `in`: how targets with several inputs split one fuzz input.
inline std::string_view take(std::string_view& in, char sep = '\0') {
  const size_t at = in.find(sep);
  std::string_view part = in.substr(0, at);
  in = at == std::string_view::npos ? std::string_view() : in.substr(at + 1);
  return part;
}

// `s` is one JSON value (any depth up to the record limit), valid UTF-8: what a codec or parser
// hands on must be readable by every reader after it.
inline bool isJson(std::string_view s, int max_depth = json::recordMaxDepth()) {
  rapidjson::Document d;
  return json::parse(d, s, max_depth).ok();
}

inline bool isJsonObject(std::string_view s, int max_depth = json::recordMaxDepth()) {
  rapidjson::Document d;
  return json::parse(d, s, max_depth).ok() && d.IsObject();
}

// The value of the last member named `name`, or null: the parsers let a repeated member's last
// value win, so the checks that compare with the body look there too.
inline const rapidjson::Value* lastMember(const rapidjson::Value& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  const rapidjson::Value* found = nullptr;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    if (std::string_view(m->name.GetString(), m->name.GetStringLength()) == name) found = &m->value;
  }
  return found;
}

// Whether `v` holds a non-integer number anywhere. RapidJSON 1.1's number parse is not correctly
// rounded (21438017e42 reads an ulp off) and its exact mode is unsafe (Tencent/rapidjson#1249), so
// a double may change when written and read again: an open bug (tests/fuzz/README.md). The
// round-trip checks skip such values until it is fixed; every other check still applies.
inline bool holdsDouble(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> todo{&root};  // iterative: values may be deep
  while (!todo.empty()) {
    const rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsDouble()) return true;
    if (v->IsArray()) {
      for (const auto& e : v->GetArray()) todo.push_back(&e);
    } else if (v->IsObject()) {
      for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) todo.push_back(&m->value);
    }
  }
  return false;
}

inline bool textHoldsDouble(std::string_view text) {
  rapidjson::Document d;
  return json::parse(d, text, json::kMaxMaxDepth).ok() && holdsDouble(d);
}

// A record codec's invariant: whatever `decode` accepts, `encode` writes as a JSON object that
// `decode` accepts again and that encodes to the very same text (nothing is lost or changed by a
// consumer that reads a record and writes it back). Returns the decoded value when there is one.
template <typename Decode, typename Encode>
auto checkRoundTrip(std::string_view text, Decode decode, Encode encode) {
  auto first = decode(text);
  if (!first) {
    FUZZ_CHECK(!first.error().message.empty());
    return first;
  }
  const std::string once = encode(*first);
  FUZZ_CHECK(isJsonObject(once));
  auto second = decode(once);
  FUZZ_CHECK(second.ok());
  if (!textHoldsDouble(once)) FUZZ_CHECK(encode(*second) == once);
  return first;
}

inline std::string_view str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace batchrun::fuzz
