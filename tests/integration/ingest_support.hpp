#pragma once
// Shared set-up of the ingest write-path tests: an in-process ingest App on a unique topic prefix,
// a keep-alive HTTP/1.1 connection that can also walk away mid-request, and a reader that collects
// every record of some topics as they are in Kafka.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/ingest/app.hpp"
#include "http.hpp"

namespace batchrun::testing {

inline constexpr const char* kIngestKey = "write-key-a";
inline constexpr const char* kIngestKeyB = "write-key-b";
inline constexpr const char* kIngestProject = "project-a";

// One blocking, keep-alive HTTP/1.1 connection to 127.0.0.1:port (reconnects when the server closed it).
class HttpConnection {
 public:
  explicit HttpConnection(int port) : port_(port) {}
  ~HttpConnection() { close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {});
  // Writes a whole request and returns without reading the answer (then close() to walk away).
  bool sendOnly(const std::string& method, const std::string& path, const std::string& body,
                const std::map<std::string, std::string>& headers);
  void close();

 private:
  bool connect();
  bool writeAll(const std::string& data);
  int port_;
  int fd_ = -1;
  std::string buffer_;
};

struct KafkaRecord {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::optional<std::string> value;  // nullopt: a tombstone (null value)
  std::map<std::string, std::string> headers;  // the lane and event headers the tests look at
};

struct IngestOptions {
  int partitions = 3;
  bool create_topics = true;
  int64_t message_timeout_ms = 30000;
  std::string brokers;               // empty: the test broker
  int64_t max_body_bytes = 10 * 1024 * 1024;
  int max_batch_items = 1000;
  int http_threads = 2;
  // Registered (PUT /v1/workflows/{id}, in both test projects) by the first instance once it is
  // ready: ingest refuses runs whose workflow is unregistered unless they carry a destination.
  std::vector<std::string> workflows = {"wf", "invoice"};
};

class IngestHarness {
 public:
  explicit IngestHarness(IngestOptions options = {});
  ~IngestHarness();

  // Starts another ingest instance on the same topics (the first one also registers
  // options.workflows); returns its index.
  size_t startIngest(bool wait_ready = true);
  ingest::App& app(size_t i = 0) { return *apps_.at(i); }
  int port(size_t i = 0) { return apps_.at(i)->port(); }
  std::string base(size_t i = 0) { return "http://127.0.0.1:" + std::to_string(port(i)); }

  // Every record of the topics, read from the beginning to the end they have now.
  std::vector<KafkaRecord> readAll(const std::vector<std::string>& topics);
  std::vector<KafkaRecord> readLanes() { return readAll(topics.laneTopics()); }

  static std::map<std::string, std::string> jsonHeaders(const char* key = kIngestKey,
                                                        const std::string& idempotency_key = {});

  IngestOptions options;
  KafkaSettings settings;
  Topics topics;

 private:
  std::vector<std::unique_ptr<ingest::App>> apps_;
};

// The endpoint the harness registers its workflows with (nothing listens: no dispatcher runs here).
inline constexpr const char* kHarnessEndpoint = "http://127.0.0.1:9/run";

// A batch body of n items ("input": {"i": index, "pad": "<pad_bytes>"}), top-level workflow "wf".
std::string batchBody(int n, int pad_bytes = 0, const std::string& extra_item_fields = {});

}  // namespace batchrun::testing
