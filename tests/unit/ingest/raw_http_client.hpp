#pragma once
// A raw-socket HTTP/1.1 client for tests that must choose where bytes split, pipeline requests or
// hold several requests open at once: send() writes bytes as given, read() parses one answer,
// closedWithin() waits for the server to end the connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

namespace batchrun::testing {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;  // 0: the connection ended or nothing came before the deadline
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(); }
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Writes bytes in pieces of `piece` bytes, one send each (so the server reads them apart).
  void send(std::string_view bytes, size_t piece = 0) {
    if (piece == 0) piece = bytes.size();
    for (size_t at = 0; at < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + at, std::min(piece, bytes.size() - at), MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }

  // True once the server ended the stream (EOF or reset) before the deadline; bytes that came
  // before it stay readable (unread() says whether any did).
  bool closedWithin(std::chrono::milliseconds deadline = 10s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!eof_) {
      if (!fill(until) && !eof_) return false;
    }
    return true;
  }
  // Bytes received and not yet parsed as an answer.
  const std::string& unread() const { return buffered_; }

  RawResponse read(std::chrono::milliseconds deadline = 10s) {
    RawResponse r;
    const auto until = std::chrono::steady_clock::now() + deadline;
    size_t head_end;
    while ((head_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(until)) return r;
    }
    const std::string head = buffered_.substr(0, head_end);
    buffered_.erase(0, head_end + 4);
    std::sscanf(head.c_str(), "HTTP/1.%*d %d", &r.status);
    for (size_t at = head.find("\r\n"); at != std::string::npos;) {
      const size_t next = head.find("\r\n", at + 2);
      const std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      if (const size_t colon = line.find(':'); colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      at = next;
    }
    const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buffered_.size() < length) {
      if (!fill(until)) return RawResponse{};
    }
    r.body = buffered_.substr(0, length);
    buffered_.erase(0, length);
    return r;
  }

 private:
  bool fill(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffered_;
};

}  // namespace batchrun::testing
