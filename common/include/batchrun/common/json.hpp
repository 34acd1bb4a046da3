#pragma once
// RapidJSON helpers shared by every service: the one bounded parse that all JSON text goes through
// (request bodies, worker answers, Kafka records), raw-text extraction of a sub-value, and appending
// JSON tokens to a std::string without an intermediate DOM.
//
// Why a bounded parse: RapidJSON's default parser recurses once per nesting level and has no depth
// limit, and its Writer and value copies recurse too, so 200 KB of `[` overflowed the stack of
// whichever service read them. Every parse here is iterative (no recursion proportional to the
// input), refuses more than a configured nesting depth, and refuses text that is not UTF-8 —
// including an escaped lone surrogate (`"\udc00"`), which RapidJSON 1.1 decodes into invalid UTF-8.
// Once parsed, a value is at most that deep, so writing or copying it recurses at most that much.
#include <rapidjson/document.h>
#include <rapidjson/reader.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

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
void setMaxDepth(int depth);
int maxDepth();
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

// Parses `text` into `doc` (a copy of every string is kept in `doc`). On failure `doc` is null.
ParseStatus parse(rapidjson::Document& doc, std::string_view text, int max_depth = maxDepth());
// The same for a record read from Kafka: recordMaxDepth().
inline ParseStatus parseRecord(rapidjson::Document& doc, std::string_view text) {
  return parse(doc, text, recordMaxDepth());
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool validUtf8(std::string_view s);
// The offset of the first byte of `s` that does not begin a well-formed UTF-8 sequence, or npos.
// Runs of ASCII are skipped eight bytes at a time; other sequences are checked by RapidJSON's
// UTF8::Validate (the same rules as the parse).
size_t invalidUtf8At(std::string_view s);

// One step of the path from the top of a document to a value: a member name or an array index.
struct PathStep {
  std::string key;  // the member name, when index < 0
  int64_t index = -1;
};
// The steps from the top of `text` to the innermost value open at byte `offset` (where a parse
// failed): e.g. runs, 3, input, 0, 0 for `{"runs":[…,{"input":[[` + the rest. At most `max_steps`
// are returned (those nearest the top); text past `offset` is never read. Iterative, bounded memory.
std::vector<PathStep> pathAt(std::string_view text, size_t offset, size_t max_steps = 16);
// "runs[3].input[0][0]" for the steps above.
std::string formatPath(const std::vector<PathStep>& steps);

// The compact JSON text of a value.
std::string stringify(const rapidjson::Value& v);

void appendString(std::string& out, std::string_view s);  // with quotes and escapes
void appendKey(std::string& out, std::string_view key);   // "key":
inline void appendInt(std::string& out, int64_t v) { out += std::to_string(v); }

// Typed lookups; false when absent or of another type.
bool getString(const rapidjson::Value& obj, const char* name, std::string& out);
// The string member without copying it (valid while the document lives); empty when absent.
std::string_view getStringView(const rapidjson::Value& obj, const char* name);
bool getInt(const rapidjson::Value& obj, const char* name, int64_t& out);

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
  bool Double(double d) { return doc_.Double(d); }
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

void classifyFailure(const rapidjson::ParseResult& result, ParseStatus& status);

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

}  // namespace batchrun::json
