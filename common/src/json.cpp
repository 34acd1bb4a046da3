#include "batchrun/common/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "batchrun/common/logging.hpp"

namespace batchrun::json {

namespace {

std::atomic<int>& maxDepthSetting() {
  static std::atomic<int> depth{kDefaultMaxDepth};
  return depth;
}

// Records where the parse of a prefix of the text stands: the open containers from the top, and
// for each the member name or element index being read. Only the first `max_steps` are kept;
// deeper levels are only counted, so a 200,000-deep prefix costs no more than a shallow one.
class PathTracker {
 public:
  explicit PathTracker(size_t max_steps) : max_steps_(max_steps) {}

  bool Null() { return value(); }
  bool Bool(bool) { return value(); }
  bool Int(int) { return value(); }
  bool Uint(unsigned) { return value(); }
  bool Int64(int64_t) { return value(); }
  bool Uint64(uint64_t) { return value(); }
  bool Double(double) { return value(); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return value(); }
  bool String(const char*, rapidjson::SizeType, bool) { return value(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ <= frames_.size() && !frames_.empty()) {
      frames_[depth_ - 1].step.key.assign(s, n);
      frames_[depth_ - 1].has_key = true;
    }
    return true;
  }
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  // The steps to the innermost open value, as far as they are kept.
  std::vector<PathStep> steps() const {
    std::vector<PathStep> out;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.is_array) {
        // In the innermost container every element begun is complete: the failing one is next.
        const bool innermost = i + 1 == depth_;
        out.push_back({"", static_cast<int64_t>(innermost ? f.count : f.count - 1)});
      } else {
        if (!f.has_key) break;
        out.push_back(f.step);
      }
    }
    return out;
  }

 private:
  struct Frame {
    bool is_array = false;
    bool has_key = false;
    uint64_t count = 0;  // elements begun, for an array
    PathStep step;
  };

  // A value begins in the innermost container: an array's element count grows.
  void begin() {
    if (depth_ == 0 || depth_ > frames_.size()) return;
    Frame& f = frames_[depth_ - 1];
    if (f.is_array) ++f.count;
  }
  bool value() {
    begin();
    if (depth_ > 0 && depth_ <= frames_.size() && !frames_[depth_ - 1].is_array) {
      frames_[depth_ - 1].has_key = false;  // the member is complete
    }
    return true;
  }
  bool open(bool is_array) {
    begin();
    ++depth_;
    if (frames_.size() < max_steps_) frames_.push_back({is_array, false, 0, {}});
    return true;
  }
  bool close() {
    if (depth_ <= frames_.size()) frames_.pop_back();
    --depth_;
    if (depth_ > 0 && depth_ <= frames_.size() && !frames_[depth_ - 1].is_array) {
      frames_[depth_ - 1].has_key = false;
    }
    return true;
  }

  size_t max_steps_;
  size_t depth_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

void setMaxDepth(int depth) {
  maxDepthSetting().store(std::clamp(depth, kMinMaxDepth, kMaxMaxDepth), std::memory_order_relaxed);
}

int maxDepth() { return maxDepthSetting().load(std::memory_order_relaxed); }

std::string ParseStatus::reason() const {
  switch (kind) {
    case Kind::kOk: return "";
    case Kind::kTooDeep: return "nested deeper than " + std::to_string(max_depth) + " levels";
    case Kind::kEncoding: return "is not valid UTF-8";
    case Kind::kSyntax: return std::string("malformed JSON: ") + rapidjson::GetParseError_En(code);
  }
  return "";
}

std::string ParseStatus::message() const {
  switch (kind) {
    case Kind::kOk: return "";
    case Kind::kSyntax:
      return "malformed JSON at offset " + std::to_string(offset) + ": " + rapidjson::GetParseError_En(code);
    default: return reason() + " (at offset " + std::to_string(offset) + ")";
  }
}

namespace detail {

void classifyFailure(const rapidjson::ParseResult& result, ParseStatus& status) {
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

ParseStatus parse(rapidjson::Document& doc, std::string_view text, int max_depth) {
  // MemoryStream: the text need not be NUL-terminated, and a NUL inside it is a syntax error
  // rather than the end of the document.
  // UTF-8 first, over the whole text, ASCII eight bytes at a time (json::Utf8 says why).
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

bool validUtf8(std::string_view s) { return invalidUtf8At(s) == std::string_view::npos; }

size_t invalidUtf8At(std::string_view s) {
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

std::vector<PathStep> pathAt(std::string_view text, size_t offset, size_t max_steps) {
  PathTracker tracker(max_steps);
  // The prefix ends inside the failing value, so this parse fails there, leaving the tracker at
  // the failing value's place. No validation: the prefix stops short of the bad bytes.
  rapidjson::MemoryStream in(text.data(), std::min(offset, text.size()));
  rapidjson::Reader reader;
  reader.Parse<rapidjson::kParseIterativeFlag>(in, tracker);
  return tracker.steps();
}

std::string formatPath(const std::vector<PathStep>& steps) {
  std::string out;
  for (const PathStep& s : steps) {
    if (s.index >= 0) {
      out += "[" + std::to_string(s.index) + "]";
    } else {
      if (!out.empty()) out.push_back('.');
      out += s.key;
    }
  }
  return out;
}

std::string stringify(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void appendString(std::string& out, std::string_view s) {
  out.push_back('"');
  log::appendJsonEscaped(out, s);
  out.push_back('"');
}

void appendKey(std::string& out, std::string_view key) {
  appendString(out, key);
  out.push_back(':');
}

bool getString(const rapidjson::Value& obj, const char* name, std::string& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

std::string_view getStringView(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool getInt(const rapidjson::Value& obj, const char* name, int64_t& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return false;
  out = it->value.GetInt64();
  return true;
}

}  // namespace batchrun::json
