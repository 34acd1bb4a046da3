#include "ingest_support.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

namespace batchrun::testing {

using namespace std::chrono_literals;

bool HttpConnection::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{60, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return false;
  }
  buffer_.clear();
  return true;
}

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpConnection::writeAll(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool HttpConnection::sendOnly(const std::string& method, const std::string& path, const std::string& body,
                              const std::map<std::string, std::string>& headers) {
  if (fd_ < 0 && !connect()) return false;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return writeAll(req);
}

HttpResponse HttpConnection::request(const std::string& method, const std::string& path, const std::string& body,
                                     const std::map<std::string, std::string>& headers) {
  HttpResponse r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!sendOnly(method, path, body, headers)) {
      close();
      continue;  // a kept-alive connection the server had closed: once more on a new one
    }
    // Read the status line and headers, then Content-Length bytes of body.
    size_t header_end;
    char chunk[65536];
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    if (header_end == std::string::npos) {
      close();
      if (attempt == 0 && buffer_.empty()) continue;
      r.error = "connection closed before an answer";
      return r;
    }
    std::string head = buffer_.substr(0, header_end);
    r.status = std::stol(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[name] = value;
      }
      pos = next;
    }
    size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buffer_.size() < header_end + 4 + length) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    r.body = buffer_.substr(header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    auto conn = r.headers.find("connection");
    if (conn != r.headers.end() && (conn->second == "Close" || conn->second == "close")) close();
    return r;
  }
  r.error = "cannot connect";
  return r;
}

IngestHarness::IngestHarness(IngestOptions opts)
    : options(std::move(opts)), settings(uniqueKafkaSettings(options.partitions)), topics(settings) {
  settings.message_timeout_ms = options.message_timeout_ms;
  if (options.create_topics) {
    auto st = ensureTopics(settings, standardTopics(settings));
    EXPECT_TRUE(st) << st.error().message;
  }
  if (!options.brokers.empty()) settings.brokers = options.brokers;
}

IngestHarness::~IngestHarness() {
  for (auto& a : apps_) {
    if (a) a->stop();
  }
}

size_t IngestHarness::startIngest(bool wait_ready) {
  ingest::IngestConfig config;
  config.service.kafka = settings;
  config.service.http_port = 0;
  config.service.create_topics = false;
  config.http_threads = options.http_threads;
  config.max_body_bytes = options.max_body_bytes;
  config.max_batch_items = options.max_batch_items;
  config.api_keys.add(sha256Hex(kIngestKey), kIngestProject);
  config.api_keys.add(sha256Hex(kIngestKeyB), "project-b");
  auto app = std::make_unique<ingest::App>(config);
  auto st = app->start();
  EXPECT_TRUE(st) << st.error().message;
  std::string url = "http://127.0.0.1:" + std::to_string(app->port());
  if (wait_ready) {
    EXPECT_TRUE(waitFor([&] { return httpGet(url + "/readyz").status == 200; }, 60s));
    if (apps_.empty()) {
      for (const auto& wf : options.workflows) {
        for (const char* key : {kIngestKey, kIngestKeyB}) {
          const std::string body = std::string(R"({"endpoint":")") + kHarnessEndpoint + "\"}";
          auto r = httpRequest("PUT", url + "/v1/workflows/" + wf, body, jsonHeaders(key));
          EXPECT_EQ(r.status, 201) << "registering " << wf << ": " << r.body;
        }
      }
    }
  }
  apps_.push_back(std::move(app));
  return apps_.size() - 1;
}

std::vector<KafkaRecord> IngestHarness::readAll(const std::vector<std::string>& names) {
  std::mutex mu;
  std::vector<KafkaRecord> out;
  auto follower = TopicFollower::start(settings, names, [&](const Message& m) {
    KafkaRecord r;
    r.topic = m.topic();
    r.partition = m.partition();
    r.offset = m.offset();
    r.key = std::string(m.key());
    if (m.raw()->payload) r.value = std::string(m.value());
    for (const char* h : {"batch_id", "project", "ce_id", "ce_type", "batchrun_batch_id", "batchrun_project"}) {
      if (auto v = m.header(h)) r.headers[h] = std::string(*v);
    }
    std::lock_guard lock(mu);
    out.push_back(std::move(r));
  });
  EXPECT_TRUE(follower) << follower.error().message;
  if (!follower) return {};
  EXPECT_TRUE((*follower)->waitCaughtUp(60000));
  (*follower)->stop();
  std::lock_guard lock(mu);
  return out;
}

std::map<std::string, std::string> IngestHarness::jsonHeaders(const char* key, const std::string& idempotency_key) {
  std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
  if (key) h["Authorization"] = std::string("Bearer ") + key;
  if (!idempotency_key.empty()) h["Idempotency-Key"] = idempotency_key;
  return h;
}

std::string batchBody(int n, int pad_bytes, const std::string& extra_item_fields) {
  std::string pad(static_cast<size_t>(pad_bytes), 'x');
  std::string body = R"({"workflow_id":"wf","runs":[)";
  for (int i = 0; i < n; ++i) {
    if (i) body += ',';
    body += R"({"input":{"i":)" + std::to_string(i) + R"(,"pad":")" + pad + "\"}" + extra_item_fields + "}";
  }
  body += "]}";
  return body;
}

}  // namespace batchrun::testing
