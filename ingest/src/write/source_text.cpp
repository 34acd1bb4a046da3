#include "batchrun/ingest/write/source_text.hpp"

#include <cstring>

namespace batchrun::ingest {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// `pos` is just after an opening quote; returns the position just after the closing one. Inputs
// are mostly long strings: memchr finds each candidate quote (vectorised), and a quote closes the
// string unless an odd number of backslashes precedes it.
size_t skipStringBody(std::string_view text, size_t pos) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* p = begin + pos;
  while (p < end) {
    const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
    if (q == nullptr) break;
    size_t backslashes = 0;
    for (const char* b = q; b > begin + pos && b[-1] == '\\'; --b) ++backslashes;
    if (backslashes % 2 == 0) return static_cast<size_t>(q - begin) + 1;
    p = q + 1;
  }
  return text.size();
}

}  // namespace

size_t skipJsonValue(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  char c = text[pos];
  if (c == '"') return skipStringBody(text, pos + 1);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (pos < text.size()) {
      c = text[pos++];
      if (c == '"') {
        pos = skipStringBody(text, pos);
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return pos;
      }
    }
    return text.size();
  }
  // A number, true, false or null: up to the next delimiter.
  while (pos < text.size() && !isSpace(text[pos]) && text[pos] != ',' && text[pos] != '}' && text[pos] != ']') ++pos;
  return pos;
}

std::optional<std::string_view> sourceText(const InPlaceSource& src, const rapidjson::Value::Member& member) {
  if (src.copy == nullptr || !member.name.IsString()) return std::nullopt;
  const char* name = member.name.GetString();
  if (name < src.copy || name >= src.copy + src.source.size()) return std::nullopt;
  const auto start = static_cast<size_t>(name - src.copy);
  if (start == 0 || src.source[start - 1] != '"') return std::nullopt;
  size_t pos = skipStringBody(src.source, start);
  while (pos < src.source.size() && isSpace(src.source[pos])) ++pos;
  if (pos >= src.source.size() || src.source[pos] != ':') return std::nullopt;
  ++pos;
  while (pos < src.source.size() && isSpace(src.source[pos])) ++pos;
  const size_t end = skipJsonValue(src.source, pos);
  if (end <= pos) return std::nullopt;
  return src.source.substr(pos, end - pos);
}

}  // namespace batchrun::ingest
