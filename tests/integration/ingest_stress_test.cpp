// Many connections posting at once: every answer is right (status, derived ids, counts) and Kafka
// holds exactly the acknowledged runs. Also run under -DBATCHRUN_SANITIZE=thread / address: the
// answers are written from the producer's delivery thread while the HTTP threads serve others.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <set>
#include <thread>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/run.hpp"
#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;

TEST(IngestStress, ConcurrentClientsAllGetTheRightAnswers) {
  IngestOptions o;
  o.http_threads = 4;
  IngestHarness h(o);
  h.startIngest();
  constexpr int kClients = 16;
  constexpr int kRequests = 8;
  constexpr int kItems = 50;
  std::atomic<int> wrong{0};
  std::atomic<int> accepted{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      HttpConnection c(h.port());
      for (int i = 0; i < kRequests; ++i) {
        // Every other request repeats the previous one's key and body: a replay, answered alike.
        const int n = i / 2;
        const std::string key = "c" + std::to_string(t) + "-r" + std::to_string(n);
        auto r = c.request("POST", "/v1/batches", batchBody(kItems, 100 + t), IngestHarness::jsonHeaders(kIngestKey, key));
        rapidjson::Document d;
        d.Parse(r.body.c_str());
        bool ok = r.status == 202 && d.IsObject() && d["runs"].Size() == kItems &&
                  d["batch_id"].GetString() == uuidv5(kBatchNamespace, std::string(kIngestProject) + "/" + key);
        for (int j = 0; ok && j < kItems; ++j) {
          const auto& run = d["runs"][static_cast<rapidjson::SizeType>(j)];
          ok = run["run_id"].GetString() ==
                   uuidv5(kRunNamespace, std::string(kIngestProject) + "/" + key + "/" + std::to_string(j)) &&
               run["deduplicated"].GetBool() == (i % 2 == 1);
        }
        if (!ok) {
          wrong++;
          failures[static_cast<size_t>(t)] = std::to_string(r.status) + " " + r.body.substr(0, 300);
        } else {
          accepted++;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f;
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(accepted.load(), kClients * kRequests);

  auto records = h.readLanes();
  std::set<std::string> ids;
  for (const auto& rec : records) ids.insert(decodeRun(*rec.value)->run_id);
  EXPECT_EQ(records.size(), static_cast<size_t>(kClients * kRequests / 2 * kItems));
  EXPECT_EQ(ids.size(), records.size());
}
