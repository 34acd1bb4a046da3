#include "batchrun/common/json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "batchrun/common/json_writer.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::json {

namespace {

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

std::string toValidUtf8(std::string_view s, size_t max_bytes) {
  const bool truncated = s.size() > max_bytes;
  s = s.substr(0, std::min(max_bytes, s.size()));
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const size_t bad = invalidUtf8At(s);
    if (bad == std::string_view::npos) {
      out.append(s);
      break;
    }
    out.append(s.substr(0, bad));
    // In the last three bytes of a truncated text, the limit (not the writer) cut the character.
    if (truncated && s.size() - bad < 4) break;
    out.append("\xEF\xBF\xBD");
    s.remove_prefix(bad + 1);
  }
  return out;
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
  json::Writer w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void appendString(std::string& out, std::string_view s) {
  out.push_back('"');
  // Whatever a string holds (a query parameter's name echoed in an error, a worker's header…), the
  // JSON written is UTF-8, so strict clients can always read it. Checking costs one pass that skips
  // ASCII eight bytes at a time; only bad text is copied.
  if (invalidUtf8At(s) == std::string_view::npos) {
    log::appendJsonEscaped(out, s);
  } else {
    log::appendJsonEscaped(out, toValidUtf8(s));
  }
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
