#include "batchrun/ingest/http/http_framing.hpp"

#include <algorithm>
#include <cctype>

namespace batchrun::ingest {

namespace {

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool fail(FramingError& error, int status, const char* code, std::string message) {
  error.status = status;
  error.code = code;
  error.message = std::move(message);
  return false;
}

// Content-Length is 1*DIGIT (no sign, no list, no spaces inside) and below 2^63: a value a signed
// 64-bit reader (a proxy, a client library) would see negative is refused rather than guessed at.
bool parseLength(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > static_cast<uint64_t>(INT64_MAX)) return false;
  out = n;
  return true;
}

}  // namespace

bool checkFraming(std::string_view head, BodyFraming& framing, FramingError& error) {
  framing = BodyFraming{};
  // A CR or LF that is not part of a CRLF, or a NUL, is a line break to some parser and not to
  // another: the classic way to hide a header from one of them.
  for (size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    if (c == '\0') return fail(error, 400, "malformed_header", "the request head contains a NUL byte");
    if (c == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) {
      return fail(error, 400, "malformed_header", "the request head contains a CR not followed by LF");
    }
    if (c == '\n' && (i == 0 || head[i - 1] != '\r')) {
      return fail(error, 400, "malformed_header", "the request head contains a LF not preceded by CR");
    }
  }
  size_t at = head.find("\r\n");
  if (at == std::string_view::npos) return fail(error, 400, "malformed_request_line", "the request line has no end");
  at += 2;  // the request line itself is Pistache's to check (method, target, version)
  int lengths = 0, encodings = 0, line_no = 0;
  bool chunked = false;
  while (at < head.size()) {
    const size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) break;
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    if (line.empty()) break;  // the end of the head
    ++line_no;
    const std::string where = "header line " + std::to_string(line_no);
    if (line.front() == ' ' || line.front() == '\t') {
      return fail(error, 400, "malformed_header", where + " is folded (starts with whitespace); folding is not accepted");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(error, 400, "malformed_header", where + " has no colon");
    const std::string_view name = line.substr(0, colon);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); })) {
      return fail(error, 400, "malformed_header",
                  where + " has an invalid field name (a token, with no whitespace before the colon)");
    }
    const std::string_view value = trimOws(line.substr(colon + 1));
    if (equalsIgnoreCase(name, "content-length")) {
      if (++lengths > 1) return fail(error, 400, "invalid_content_length", "Content-Length is given more than once");
      if (!parseLength(value, framing.length)) {
        return fail(error, 400, "invalid_content_length",
                    "Content-Length must be a non-negative decimal integer below 2^63, digits only");
      }
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      if (++encodings > 1) return fail(error, 400, "invalid_transfer_encoding", "Transfer-Encoding is given more than once");
      if (!equalsIgnoreCase(value, "chunked")) {
        return fail(error, 501, "unsupported_transfer_encoding", "the only Transfer-Encoding accepted is 'chunked'");
      }
      chunked = true;
    }
  }
  if (lengths > 0 && chunked) {
    return fail(error, 400, "conflicting_framing", "Content-Length and Transfer-Encoding must not both be given");
  }
  if (chunked) {
    framing.kind = BodyFraming::Kind::kChunked;
  } else if (lengths > 0) {
    framing.kind = BodyFraming::Kind::kLength;
  }
  return true;
}

ChunkedDecoder::Status ChunkedDecoder::fail(std::string message) {
  problem_ = std::move(message);
  return Status::kError;
}

ChunkedDecoder::Status ChunkedDecoder::feed(const char* data, size_t len, size_t& used, std::string& body,
                                            uint64_t max_body) {
  // A trailer or extension line longer than this is refused rather than buffered or skipped for ever.
  constexpr size_t kMaxLine = 8 * 1024;
  size_t i = 0;
  while (i < len) {
    const char c = data[i];
    switch (state_) {
      case State::kSize: {
        const int digit = std::isxdigit(static_cast<unsigned char>(c))
                              ? (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10))
                              : -1;
        if (digit >= 0) {
          if (++digits_ > 15) return fail("a chunk size has more than 15 hex digits");
          size_ = size_ * 16 + static_cast<uint64_t>(digit);
          ++i;
        } else if (digits_ == 0) {
          return fail("a chunk size must start with a hex digit");
        } else if (c == ';') {
          state_ = State::kExtension;
          line_ = 0;
          ++i;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
          ++i;
        } else {
          return fail("a chunk size line may hold only hex digits and extensions after ';'");
        }
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || ++line_ > kMaxLine) {
          return fail("a chunk extension is malformed or too long");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail("a chunk size line must end with CRLF");
        ++i;
        if (size_ == 0) {
          state_ = State::kTrailer;
          line_ = 0;
        } else {
          // Checked before a byte of the chunk is taken: the body never grows past max_body.
          if (size_ > max_body || body.size() + size_ > max_body) return Status::kTooLarge;
          left_ = size_;
          state_ = State::kData;
        }
        break;
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(left_, len - i));
        body.append(data + i, take);
        i += take;
        left_ -= take;
        if (left_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return fail("chunk data must be followed by CRLF");
        state_ = State::kDataLf;
        ++i;
        break;
      case State::kDataLf:
        if (c != '\n') return fail("chunk data must be followed by CRLF");
        state_ = State::kSize;
        size_ = 0;
        digits_ = 0;
        ++i;
        break;
      case State::kTrailer:  // a trailer line, or the empty line that ends the body
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (c == '\n' || ++line_ > kMaxLine) {
          return fail("a trailer line is malformed or too long");
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail("a trailer line must end with CRLF");
        ++i;
        if (line_ == 0) {
          state_ = State::kEnd;
          used = i;
          return Status::kDone;
        }
        state_ = State::kTrailer;
        line_ = 0;
        break;
      case State::kEnd:
        used = i;
        return Status::kDone;
    }
  }
  used = i;
  return Status::kMore;
}

}  // namespace batchrun::ingest
