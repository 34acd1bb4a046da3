#pragma once
// ReadPool: runs reads that may wait for Kafka off Pistache's HTTP threads, and answers from there.
//
// A run read that misses the record cache fetches from Kafka (≈ 0.5–1.5 ms, up to the reader's 5 s
// deadline when the cluster is slow); done on an HTTP thread it held that thread — and every
// request queued behind it on the connection's reactor, writes included — for the duration. Here
// the route does the cheap part (auth, query parsing) and hands the rest with its ResponseWriter
// to a small pool, as write answers come from the producer's delivery thread (submission.hpp).
// Answers are skipped for a client that has gone, and dropped once the tracker is closed (the
// endpoint is going away); App::stop() waits for live reads like for live submissions.
// Thread-safe; owned by ReadSide, outliving the routes' use of it.
#include <pistache/http.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "batchrun/common/result.hpp"
#include "batchrun/ingest/kafka/submission.hpp"

namespace batchrun::ingest {

class ReadPool {
 public:
  using Job = std::function<void(Pistache::Http::ResponseWriter&)>;

  ReadPool(int threads, size_t max_queued, SubmissionTracker& tracker);
  ~ReadPool();
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  // Queues job(rw) for a pool thread. When the queue is full (or the pool stopped) the writer is
  // handed back unanswered, for the caller to answer 503 in its API's shape.
  std::optional<Pistache::Http::ResponseWriter> run(Pistache::Http::ResponseWriter rw, Job job);
  // The read routes' one pattern: answer at once with `now` when it holds a value (the read needed
  // no Kafka, see RunView::getNow/listNow), else run fetch() on the pool and answer with its result.
  // `busy` answers (a 503 in the route's API shape) when the queue is full.
  template <typename T>
  void answer(Pistache::Http::ResponseWriter rw, std::optional<T> now, std::function<Result<T>()> fetch,
              std::function<void(Pistache::Http::ResponseWriter&, const Result<T>&)> reply,
              const std::function<void(Pistache::Http::ResponseWriter&)>& busy) {
    if (now) return reply(rw, Result<T>(std::move(*now)));
    auto back = run(std::move(rw), [fetch = std::move(fetch), reply](Pistache::Http::ResponseWriter& w) {
      reply(w, fetch());
    });
    if (back) busy(*back);
  }
  // Finishes the queued jobs and joins the threads; later run() calls hand their writer back.
  void stop();

 private:
  struct Task {
    Pistache::Http::ResponseWriter rw;
    Job job;
  };
  void work();

  SubmissionTracker& tracker_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: they use the members above
};

}  // namespace batchrun::ingest
