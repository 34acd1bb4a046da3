// checkFraming() and ChunkedDecoder (http_framing.hpp): where a body ends, decided strictly.
#include "batchrun/ingest/http/http_framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace batchrun::ingest {
namespace {

std::string head(const std::string& headers) { return "POST /v1/batches HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n"; }

BodyFraming framingOf(const std::string& headers) {
  BodyFraming framing;
  FramingError error;
  EXPECT_TRUE(checkFraming(head(headers), framing, error)) << headers << ": " << error.message;
  return framing;
}

FramingError errorOf(const std::string& headers) {
  BodyFraming framing;
  FramingError error;
  EXPECT_FALSE(checkFraming(head(headers), framing, error)) << headers;
  return error;
}

TEST(CheckFraming, ReadsTheBodyKind) {
  EXPECT_EQ(framingOf("").kind, BodyFraming::Kind::kNone);
  const auto length = framingOf("content-length:  42 \r\n");
  EXPECT_EQ(length.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(length.length, 42u);
  EXPECT_EQ(framingOf("Content-Length: 0007\r\n").length, 7u);
  EXPECT_EQ(framingOf("Content-Length: 9223372036854775807\r\n").length, 9223372036854775807ull);
  EXPECT_EQ(framingOf("Transfer-Encoding: Chunked\r\n").kind, BodyFraming::Kind::kChunked);
}

TEST(CheckFraming, RefusesContentLengthsOtherThanDigitsBelow2To63) {
  for (const char* value : {"-1", "+5", "", "5 5", "5, 5", "0x5", "5.0", "9223372036854775808",
                            "18446744073709551616", "99999999999999999999999"}) {
    const auto error = errorOf(std::string("Content-Length: ") + value + "\r\n");
    EXPECT_EQ(error.status, 400) << value;
    EXPECT_EQ(error.code, "invalid_content_length") << value;
  }
  EXPECT_EQ(errorOf("Content-Length: 5\r\ncontent-length: 5\r\n").code, "invalid_content_length");
}

TEST(CheckFraming, RefusesContentLengthWithTransferEncodingAndOtherCodings) {
  EXPECT_EQ(errorOf("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n").code, "conflicting_framing");
  EXPECT_EQ(errorOf("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n").code, "conflicting_framing");
  EXPECT_EQ(errorOf("Transfer-Encoding: gzip, chunked\r\n").status, 501);
  EXPECT_EQ(errorOf("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n").status, 400);
}

TEST(CheckFraming, RefusesMalformedHeaderLines) {
  for (const char* line : {"no colon here\r\n", "X-A: 1\r\n folded\r\n", "Host : t\r\n", ": empty name\r\n",
                           "X(A): 1\r\n", "X-A: 1\nContent-Length: 5\r\n", "X-A: a\rb\r\n"}) {
    const auto error = errorOf(line);
    EXPECT_EQ(error.status, 400) << line;
  }
  EXPECT_EQ(errorOf(std::string("X-A: a\0b\r\n", 11)).status, 400);
  EXPECT_NE(errorOf("X-A: 1\r\nno colon\r\n").message.find("header line 3"), std::string::npos);
}

ChunkedDecoder::Status decode(const std::string& input, std::string& body, size_t& used, uint64_t max = 1000,
                              size_t piece = 0) {
  ChunkedDecoder decoder;
  if (piece == 0) piece = input.size();
  used = 0;
  for (size_t at = 0; at < input.size();) {
    size_t n = 0;
    const auto status = decoder.feed(input.data() + at, std::min(piece, input.size() - at), n, body, max);
    at += n;
    used = at;
    if (status != ChunkedDecoder::Status::kMore) return status;
  }
  return ChunkedDecoder::Status::kMore;
}

TEST(ChunkedDecoder, DecodesInAnyPiecesAndStopsAtTheEnd) {
  const std::string input = "5;ext=1\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nGET /next";
  for (size_t piece : {1, 2, 3, 7, 100}) {
    std::string body;
    size_t used = 0;
    EXPECT_EQ(decode(input, body, used, 1000, piece), ChunkedDecoder::Status::kDone) << piece;
    EXPECT_EQ(body, "hello world0123456789") << piece;
    EXPECT_EQ(input.substr(used), "GET /next") << piece;
  }
}

TEST(ChunkedDecoder, RefusesMalformedChunks) {
  for (const char* input : {"-5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n",
                            "0x5\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "5\nhello\r\n0\r\n\r\n",
                            "1000000000000000\r\n", "\r\n"}) {
    std::string body;
    size_t used = 0;
    EXPECT_EQ(decode(input, body, used), ChunkedDecoder::Status::kError) << input;
  }
}

TEST(ChunkedDecoder, RefusesABodyOverTheLimitBeforeTakingIt) {
  std::string body;
  size_t used = 0;
  EXPECT_EQ(decode("3e8\r\n", body, used, 999), ChunkedDecoder::Status::kTooLarge);
  EXPECT_EQ(decode("1f4\r\n" + std::string(500, 'a') + "\r\n1f5\r\n", body, used, 1000),
            ChunkedDecoder::Status::kTooLarge);
  EXPECT_EQ(body.size(), 500u);
  body.clear();
  EXPECT_EQ(decode("fffffffffffffff\r\n", body, used, 1000), ChunkedDecoder::Status::kTooLarge);
  EXPECT_TRUE(body.empty());
}

}  // namespace
}  // namespace batchrun::ingest
