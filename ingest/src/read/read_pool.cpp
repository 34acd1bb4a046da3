#include "batchrun/ingest/read/read_pool.hpp"

#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

ReadPool::ReadPool(int threads, size_t max_queued, SubmissionTracker& tracker)
    : tracker_(tracker), max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

ReadPool::~ReadPool() { stop(); }

std::optional<Pistache::Http::ResponseWriter> ReadPool::run(Pistache::Http::ResponseWriter rw, Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return std::optional<Pistache::Http::ResponseWriter>(std::move(rw));
    // Counted from here, so App::stop() waits for this answer before closing the endpoint.
    tracker_.enter();
    queue_.push_back(Task{std::move(rw), std::move(job)});
  }
  cv_.notify_one();
  return std::nullopt;
}

void ReadPool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ReadPool::work() {
  for (;;) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to answer
    Task task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    // Same guards as a write's answer from the delivery thread (submission.cpp).
    if (tracker_.open() && task.rw.getPeer()) {
      try {
        task.job(task.rw);
      } catch (const std::exception& e) {
        log::warn("read failed", {{"error", e.what()}});
        try {
          replyError(task.rw, Pistache::Http::Code::Internal_Server_Error, "internal", "the read failed");
        } catch (const std::exception&) {
        }
      }
    }
    tracker_.leave();
  }
}

}  // namespace batchrun::ingest
