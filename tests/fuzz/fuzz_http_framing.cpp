// HTTP framing (ingest/src/http/http_framing.cpp): checkFraming over a request head, and the
// chunked-body decoder. The input up to the first empty line (CRLF CRLF, included) is the head;
// all of it is also fed to a ChunkedDecoder, once whole and once cut into pieces at places the
// first input bytes choose — where the bytes arrive in a socket must never change the outcome.
#include <string>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/http/http_framing.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

struct Decoded {
  ChunkedDecoder::Status status;
  std::string body;
  size_t used = 0;  // bytes of the input consumed, when done
};

Decoded decode(std::string_view in, uint64_t max_body, size_t stride) {
  ChunkedDecoder decoder;
  Decoded out{ChunkedDecoder::Status::kMore, {}, 0};
  size_t at = 0;
  while (at < in.size()) {
    const size_t n = std::min(stride, in.size() - at);
    size_t used = 0;
    out.status = decoder.feed(in.data() + at, n, used, out.body, max_body);
    FUZZ_CHECK(out.body.size() <= max_body);  // never holds more than allowed
    if (out.status == ChunkedDecoder::Status::kMore) FUZZ_CHECK(used == n);
    if (out.status == ChunkedDecoder::Status::kDone) {
      FUZZ_CHECK(used <= n);
      out.used = at + used;
      // A finished body takes nothing more: the rest belongs to the next request.
      size_t more = 1;
      FUZZ_CHECK(decoder.feed("x", 1, more, out.body, max_body) == ChunkedDecoder::Status::kDone && more == 0);
    }
    if (out.status == ChunkedDecoder::Status::kError) FUZZ_CHECK(!decoder.problem().empty());
    if (out.status != ChunkedDecoder::Status::kMore) return out;
    at += n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::text(data, size);
  fuzz::noThrow("checkFraming", [&] {
    const size_t end = in.find("\r\n\r\n");
    const std::string_view head = end == std::string_view::npos ? in : in.substr(0, end + 4);
    BodyFraming framing;
    FramingError error;
    if (checkFraming(head, framing, error)) {
      if (framing.kind == BodyFraming::Kind::kLength) FUZZ_CHECK(framing.length <= static_cast<uint64_t>(INT64_MAX));
      else FUZZ_CHECK(framing.length == 0);
    } else {
      FUZZ_CHECK(error.status == 400 || error.status == 501);
      FUZZ_CHECK(!error.code.empty() && !error.message.empty() && json::validUtf8(error.message));
    }
  });
  if (in.size() < 2) return 0;
  const uint64_t max_body = static_cast<uint8_t>(in[0]) * 4;
  const size_t stride = 1 + static_cast<uint8_t>(in[1]) % 7;
  in.remove_prefix(2);
  fuzz::noThrow("ChunkedDecoder", [&] {
    const Decoded whole = decode(in, max_body, in.size() + 1);
    const Decoded pieces = decode(in, max_body, stride);
    FUZZ_CHECK(whole.status == pieces.status);
    FUZZ_CHECK(whole.body == pieces.body || whole.status != ChunkedDecoder::Status::kDone);
    FUZZ_CHECK(whole.used == pieces.used);
  });
  return 0;
}
