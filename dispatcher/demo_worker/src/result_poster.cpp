#include "batchrun/demo_worker/result_poster.hpp"

#include <curl/curl.h>

#include <algorithm>

#include "batchrun/common/logging.hpp"

namespace batchrun::demo_worker {

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

bool transient(long status) { return status == 0 || status == 408 || status == 429 || status >= 500; }
// 404/409 may come from an API instance whose view has not read the run's `running` record yet (one
// that waits for its view answers 404/409 only once it has, but an older one does not): worth a
// few more tries, not twenty.
bool maybeStale(long status) { return status == 404 || status == 409; }
}  // namespace

ResultPoster::ResultPoster(std::string api_url, std::string api_key, Timer& timer)
    : api_url_(std::move(api_url)), api_key_(std::move(api_key)), timer_(timer), thread_([this] { loop(); }) {
  while (!api_url_.empty() && api_url_.back() == '/') api_url_.pop_back();
}

ResultPoster::~ResultPoster() { stop(); }

void ResultPoster::post(ResultJob job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void ResultPoster::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ResultPoster::loop() {
  curl_ = curl_easy_init();
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    ResultJob job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    ++job.attempt;
    std::string error;
    long status = send(job, error);
    if (status >= 200 && status < 300) {
      log::info("posted async result", {{"run_id", job.run_id}});
      job.done(true);
    } else if ((transient(status) && job.attempt < kMaxResultPostAttempts) ||
               (maybeStale(status) && job.attempt < kMaxStaleResultPostAttempts)) {
      auto delay = std::chrono::milliseconds(std::min(5000, 100 << std::min(job.attempt, 6)));
      log::warn("posting async result failed; will retry",
                {{"run_id", job.run_id}, {"status", std::to_string(status)}, {"error", error}});
      timer_.after(delay, [this, j = std::make_shared<ResultJob>(std::move(job))] { post(std::move(*j)); });
    } else {
      log::error("giving up posting async result",
                 {{"run_id", job.run_id}, {"status", std::to_string(status)}, {"error", error}});
      job.done(false);
    }
    lock.lock();
  }
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

long ResultPoster::send(const ResultJob& job, std::string& error) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  std::string url = api_url_ + "/v1/runs/" + job.run_id + "/result";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::string auth = "Authorization: Bearer " + api_key_;
  if (!api_key_.empty()) headers = curl_slist_append(headers, auth.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, job.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  long status = 0;
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  } else {
    error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  return status;
}

}  // namespace batchrun::demo_worker
