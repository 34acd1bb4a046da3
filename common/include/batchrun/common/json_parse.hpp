#pragma once
// The bounded JSON parse every JSON text in batchrun goes through: request bodies, worker answers,
// Kafka records, and the CLI's server answers and input files. Header-only, so the CLI (which links
// nothing of common) uses the very same parse; json.hpp adds the helpers the services share.
//
// Why: RapidJSON's default parser recurses once per nesting level and has no depth limit, and its
// Writer and value copies recurse too, so 200 KB of `[` overflowed the stack of whichever service
// read them. This parse is iterative (no recursion proportional to the input), refuses more than a
// configured nesting depth, and refuses text that is not UTF-8 — including an escaped lone
// surrogate (`"\udc00"`), which RapidJSON 1.1 decodes into invalid UTF-8. Once parsed, a value is
// at most that deep, so writing or copying it recurses at most that much.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace batchrun::json {

// A depth no legitimate payload reaches, and far below what overflows a stack when a parsed value
// is written back out (a Writer frame per level).
inline constexpr int kDefaultMaxDepth = 128;
inline constexpr int kMinMaxDepth = 16;
inline constexpr int kMaxMaxDepth = 1000;
// Records wrap accepted values in envelopes of their own (a run's input inside an event inside a
// webhook delivery record…): records are read with this much room above the request limit, so
// anything ingest or a worker was allowed to send can always be read back.
inline constexpr int kRecordDepthMargin = 8;

// The process's limit (BATCHRUN_JSON_MAX_DEPTH, set once at start-up by loadServiceConfig). It is
// a property of the process — the same for every parse, whichever codec runs it — so it is kept
// here rather than threaded through every decoder's signature. Thread-safe.
inline std::atomic<int>& maxDepthSetting() {
  static std::atomic<int> depth{kDefaultMaxDepth};  // one object per process, inline or not
  return depth;
}
inline void setMaxDepth(int depth) {
  maxDepthSetting().store(std::clamp(depth, kMinMaxDepth, kMaxMaxDepth), std::memory_order_relaxed);
}

inline int maxDepth() { return maxDepthSetting().load(std::memory_order_relaxed); }

inline int recordMaxDepth() { return maxDepth() + kRecordDepthMargin; }

// Why a parse failed, where, and a message fit for a client ("nested deeper than 128 levels").
struct ParseStatus {
  enum class Kind { kOk, kSyntax, kEncoding, kTooDeep };
  Kind kind = Kind::kOk;
  size_t offset = 0;  // byte offset into the text where the problem was found
  rapidjson::ParseErrorCode code = rapidjson::kParseErrorNone;  // for kSyntax
  int max_depth = 0;                                            // for kTooDeep

  bool ok() const { return kind == Kind::kOk; }
  explicit operator bool() const { return ok(); }
  // Without the offset: "nested deeper than 128 levels", "is not valid UTF-8", "malformed JSON: …".
  std::string reason() const;
  // With it: "nested deeper than 128 levels (at offset 4)".
  std::string message() const;
};

inline std::string ParseStatus::reason() const {
  switch (kind) {
    case Kind::kOk: return "";
    case Kind::kTooDeep: return "nested deeper than " + std::to_string(max_depth) + " levels";
    case Kind::kEncoding: return "is not valid UTF-8";
    case Kind::kSyntax: return std::string("malformed JSON: ") + rapidjson::GetParseError_En(code);
  }
  return "";
}

inline std::string ParseStatus::message() const {
  switch (kind) {
    case Kind::kOk: return "";
    case Kind::kSyntax:
      return "malformed JSON at offset " + std::to_string(offset) + ": " + rapidjson::GetParseError_En(code);
    default: return reason() + " (at offset " + std::to_string(offset) + ")";
  }
}

// The offset of the first byte of `s` that does not begin a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points past U+10FFFF included), or npos. Runs of ASCII are skipped
// eight bytes at a time; other sequences are checked by RapidJSON's UTF8::Validate.
inline size_t invalidUtf8At(std::string_view s) {
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  struct Sink {
    void Put(char) {}
  } sink;
  size_t at = 0;
  while (at < s.size()) {
    if (at + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + at, 8);
      if ((word & kHighBits) == 0) {
        at += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(s[at]) < 0x80) {
      ++at;
      continue;
    }
    rapidjson::MemoryStream in(s.data() + at, s.size() - at);
    // MemoryStream reads NUL past its end, which no continuation byte is: truncation is refused.
    if (!rapidjson::UTF8<>::Validate(in, sink)) return at;
    at += in.Tell();
  }
  return std::string_view::npos;
}

inline bool validUtf8(std::string_view s) { return invalidUtf8At(s) == std::string_view::npos; }

namespace detail {

// True when a decoded string holds a UTF-16 surrogate (0xED 0xA0..0xBF): RapidJSON's parser
// validates raw bytes but turns an escaped lone low surrogate into exactly that.
inline bool hasEncodedSurrogate(const char* s, size_t n) {
  const void* p = std::memchr(s, 0xED, n);
  while (p) {
    const auto* c = static_cast<const unsigned char*>(p);
    const size_t at = static_cast<size_t>(reinterpret_cast<const char*>(c) - s);
    if (at + 1 < n && c[1] >= 0xA0) return true;
    p = std::memchr(c + 1, 0xED, n - at - 1);
  }
  return false;
}

// The offset of the first byte 0x1A..0x1F in `s`, or npos. Such a byte is never valid JSON (no
// token outside a string; inside one it must be escaped), but RapidJSON 1.1's SSE2 string scan,
// which ingest's in-place parse of request bodies uses, lets exactly these through: it tests
// `max(c, 0x19) == 0x19` (c <= 0x19) where it means c < 0x20, and copies them into strings
// unescaped. The body was accepted, its text passed on as a run's input, and every reader parsing
// that record without SSE2 refused it (found by tests/fuzz/fuzz_run_request). Eight bytes at a
// time: a byte b is in range when b ^ 0x18 < 8 (0x18..0x1F), checked one by one on a hit.
inline size_t controlByteMissedBySimdAt(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  auto inRange = [](unsigned char c) { return c >= 0x1A && c <= 0x1F; };
  size_t at = 0;
  for (; at + 8 <= s.size(); at += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + at, 8);
    const uint64_t x = word ^ (kOnes * 0x18);
    if (((x - kOnes * 8) & ~x & kHighBits) == 0) continue;  // no byte of x below 8
    for (size_t i = at; i < at + 8; ++i) {
      if (inRange(static_cast<unsigned char>(s[i]))) return i;
    }
  }
  for (; at < s.size(); ++at) {
    if (inRange(static_cast<unsigned char>(s[at]))) return at;
  }
  return std::string_view::npos;
}

// A SAX handler between RapidJSON's reader and a Document: forwards every event, counts open
// containers and stops the parse (false) past `max_depth`; refuses strings holding a surrogate.
template <typename Stream>
class BoundedHandler {
 public:
  BoundedHandler(rapidjson::Document& doc, Stream& in, int max_depth, ParseStatus& status)
      : doc_(doc), in_(in), max_depth_(max_depth), status_(status) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) {
    // RapidJSON 1.1 reads a number past the double range (4e308) as infinity, which no writer can
    // put back into JSON (stringify wrote a broken text): refused as too big (found by tests/fuzz).
    if (!std::isfinite(d)) return refuseNumber();
    return doc_.Double(d);
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (hasEncodedSurrogate(s, n)) return refuseEncoding();
    return doc_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (hasEncodedSurrogate(s, n)) return refuseEncoding();
    return doc_.Key(s, n, copy);
  }
  bool StartObject() { return open() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return open() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }

 private:
  bool open() {
    if (++depth_ <= max_depth_) return true;
    status_.kind = ParseStatus::Kind::kTooDeep;
    status_.max_depth = max_depth_;
    status_.offset = in_.Tell();  // the reader calls this before taking the bracket
    return false;
  }
  bool refuseNumber() {
    status_.kind = ParseStatus::Kind::kSyntax;
    status_.code = rapidjson::kParseErrorNumberTooBig;
    status_.offset = in_.Tell();
    return false;
  }
  bool refuseEncoding() {
    // The string has been read; its escape is somewhere before here. The parse path finds the
    // string itself from this offset (pathAt).
    status_.kind = ParseStatus::Kind::kEncoding;
    status_.offset = in_.Tell() == 0 ? 0 : in_.Tell() - 1;
    return false;
  }

  rapidjson::Document& doc_;
  Stream& in_;  // only Tell(), which InsituStringStream does not declare const
  const int max_depth_;
  ParseStatus& status_;
  int depth_ = 0;
};

inline void classifyFailure(const rapidjson::ParseResult& result, ParseStatus& status) {
  if (status.kind != ParseStatus::Kind::kOk) return;  // the handler stopped the parse and said why
  status.offset = result.Offset();
  if (result.Code() == rapidjson::kParseErrorStringInvalidEncoding) {
    status.kind = ParseStatus::Kind::kEncoding;
  } else {
    status.kind = ParseStatus::Kind::kSyntax;
    status.code = result.Code();
  }
}

}  // namespace detail

// Whether parseStream checks UTF-8 as it reads (RapidJSON's kParseValidateEncodingFlag) or the
// caller already ran invalidUtf8At over the whole text. The flag turns off RapidJSON's SIMD string
// scan, which makes a 1,000-item request body ~2x slower to parse; one pass over the body that skips
// ASCII eight bytes at a time costs a few percent instead. Escaped lone surrogates are refused
// either way.
enum class Utf8 { kValidate, kAlreadyValidated };

// The bounded parse of any RapidJSON input stream of `size` bytes, for callers that need another
// stream or extra flags (ingest's in-place parse of request bodies: rapidjson::kParseInsituFlag).
// Always iterative. Header-only so the caller's own RapidJSON options (SSE2 scanning) apply.
template <unsigned kExtraFlags, typename Stream>
ParseStatus parseStream(rapidjson::Document& doc, Stream& in, size_t size, int max_depth,
                        Utf8 utf8 = Utf8::kValidate) {
  ParseStatus status;
  if constexpr (std::is_same_v<Stream, rapidjson::InsituStringStream> ||
                std::is_same_v<Stream, rapidjson::StringStream>) {
    // The streams RapidJSON scans with SIMD (controlByteMissedBySimdAt says why).
    if (const size_t bad = detail::controlByteMissedBySimdAt({in.src_, size}); bad != std::string_view::npos) {
      doc.SetNull();
      status.kind = ParseStatus::Kind::kSyntax;
      status.code = rapidjson::kParseErrorStringEscapeInvalid;  // what the scalar scan says
      status.offset = bad;
      return status;
    }
  }
  auto generate = [&](rapidjson::Document& target) {
    detail::BoundedHandler<Stream> handler(target, in, max_depth, status);
    rapidjson::Reader reader;
    constexpr unsigned kFlags = kExtraFlags | rapidjson::kParseIterativeFlag;
    const rapidjson::ParseResult result =
        utf8 == Utf8::kValidate ? reader.Parse<kFlags | rapidjson::kParseValidateEncodingFlag>(in, handler)
                                : reader.Parse<kFlags>(in, handler);
    if (!result) {
      detail::classifyFailure(result, status);
      return false;
    }
    // RapidJSON's reader ends the text at a NUL byte. A raw NUL is never valid JSON, so a
    // document followed by one is refused rather than the rest silently ignored.
    if (in.Tell() != size) {
      status.kind = ParseStatus::Kind::kSyntax;
      status.code = rapidjson::kParseErrorDocumentRootNotSingular;
      status.offset = in.Tell();
      return false;
    }
    return true;
  };
  doc.Populate(generate);
  if (!status.ok()) doc.SetNull();
  return status;
}

// Parses `text` into `doc` (a copy of every string is kept in `doc`). On failure `doc` is null.
inline ParseStatus parse(rapidjson::Document& doc, std::string_view text, int max_depth = maxDepth()) {
  // UTF-8 first, over the whole text, ASCII eight bytes at a time (json::Utf8 says why). Then a
  // MemoryStream: the text need not be NUL-terminated, and a NUL in it is an error, not the end.
  if (const size_t bad = invalidUtf8At(text); bad != std::string_view::npos) {
    doc.SetNull();
    ParseStatus status;
    status.kind = ParseStatus::Kind::kEncoding;
    status.offset = bad;
    return status;
  }
  rapidjson::MemoryStream in(text.data(), text.size());
  return parseStream<0>(doc, in, text.size(), max_depth, Utf8::kAlreadyValidated);
}

// The same for a record read from Kafka (or an answer of the API): recordMaxDepth().
inline ParseStatus parseRecord(rapidjson::Document& doc, std::string_view text) {
  return parse(doc, text, recordMaxDepth());
}

}  // namespace batchrun::json
