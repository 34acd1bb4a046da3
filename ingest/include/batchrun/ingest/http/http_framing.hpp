#pragma once
// Where a request's body ends, decided strictly (RFC 9112 §6, §7.1), so no two parsers — ours, a
// proxy's, Pistache's — can disagree about it and read a request out of another one's body.
//
// Pistache 0.0.5's parser is lax where that matters: Content-Length goes through stoull (accepts
// "+5", turns "-1" into 2^64-1, throws out_of_range past 2^64), a duplicate Content-Length is
// taken silently, chunk sizes go through strtol (signs, "0x", spaces), a header line without a
// colon makes it wait for more bytes for ever, and it reserves the declared size before anyone
// checked it. So ingest decides framing here, from the head's bytes, before Pistache parses the
// head, and decodes chunked bodies itself. (Debian's alternative, http-parser 2.9, is
// unmaintained and would parse every head a second time; these rules are few.)
// Pure functions and a small value type; no I/O, thread-compatible.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace batchrun::ingest {

// A framing problem: the status to answer (400, 501) and a message for the client. Every framing
// problem closes the connection: where the next request would start is unknown.
struct FramingError {
  int status = 400;
  std::string code;     // the JSON error code, e.g. "invalid_content_length"
  std::string message;  // names the header, never echoes exception text
};

struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked };
  Kind kind = Kind::kNone;
  uint64_t length = 0;  // for kLength
};

// Checks a complete head (request line, header lines, the empty line): every header line is
// `token ":" value` with no whitespace before the colon and no folding; at most one
// Content-Length, 1*DIGIT only; Transfer-Encoding only `chunked`, never with Content-Length.
// Returns false and fills `error` on the first problem.
bool checkFraming(std::string_view head, BodyFraming& framing, FramingError& error);

// Decodes a chunked body (RFC 9112 §7.1) as its bytes arrive, into `body`, never holding more
// than `max_body` bytes of it: chunk sizes are 1–16 hex digits (extensions after ';' ignored),
// each chunk ends with CRLF, trailer lines are skipped up to the empty line.
class ChunkedDecoder {
 public:
  enum class Status { kMore, kDone, kError, kTooLarge };

  // Consumes bytes; `used` says how many (on kDone the rest belongs to the next request).
  Status feed(const char* data, size_t len, size_t& used, std::string& body, uint64_t max_body);
  void reset() { *this = ChunkedDecoder(); }
  const std::string& problem() const { return problem_; }

 private:
  enum class State { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf, kEnd };
  Status fail(std::string message);

  State state_ = State::kSize;
  uint64_t size_ = 0;     // the chunk being read: its declared size
  uint64_t left_ = 0;     // its bytes still to come
  int digits_ = 0;        // hex digits of the size line so far
  size_t line_ = 0;       // bytes of the current trailer line (bounded)
  std::string problem_;
};

}  // namespace batchrun::ingest
