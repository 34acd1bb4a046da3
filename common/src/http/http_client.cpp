#include "batchrun/common/http/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "batchrun/common/http/address_ranges.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun {

namespace {

// A worker answering with more than this is misbehaving; cap memory per transfer.
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;
constexpr long kMaxConnectMs = 10000;

}  // namespace

const std::string* HttpResult::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return &v;
  }
  return nullptr;
}

// One transfer: the easy handle and everything it points into, alive until completion.
struct Transfer {
  HttpRequest req;
  HttpClient::Callback done;
  HttpResult result;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  const OutboundPolicy* policy = nullptr;
  bool refused = false;    // opensocket refused an address
  bool too_large = false;
  std::chrono::steady_clock::time_point submitted;  // its timeout counts from here, waiting included
};

// Driven through libcurl's socket interface: epoll reports which connections have something to do
// and only those are handled, where curl_multi_perform + curl_multi_poll walked every transfer and
// socket on each wakeup (a dispatcher at 10,000 calls in flight spent 500 us of CPU per call). At
// most max_active transfers are handed to curl; the rest wait here in order (curl 7.88 scans its
// own queue of waiting transfers on every removal).
struct HttpClient::Impl {
  OutboundPolicy policy;
  CURLM* multi = nullptr;
  size_t max_active = 2048;
  int epfd = -1;
  int wakefd = -1;  // eventfd: submit() and stop() wake the loop
  std::mutex mu;
  std::deque<std::unique_ptr<Transfer>> incoming;  // guarded by mu
  bool closed = false;  // guarded by mu: set by stop(); submit() then drops the request
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::unordered_set<Transfer*> active;             // loop thread only (and stop() after the join)
  std::deque<std::unique_ptr<Transfer>> waiting;    // likewise: submitted, not yet handed to curl
  // Finished easy handles, reset and reused: curl_easy_init + cleanup per request (allocating and
  // freeing its buffers) cost more than the request's own work on a local worker.
  std::vector<CURL*> spare;
  // curl's timer (CURLMOPT_TIMERFUNCTION): when it next wants curl_multi_socket_action(TIMEOUT).
  bool timer_set = false;
  std::chrono::steady_clock::time_point timer_at;
  // Set by stop() after the loop thread ended: curl's teardown may report sockets it has already
  // closed, whose numbers another thread may have reused; the epoll set is about to go anyway.
  bool tearing_down = false;
  std::thread thread;

  void loop();
  void start(std::unique_ptr<Transfer> t);
  void finish(CURL* easy, CURLcode code);
  void completeUnstarted(std::unique_ptr<Transfer> t, std::string error);
  // Runs the request's callback (never letting it throw into curl) and counts the request done.
  void deliver(Transfer& t, HttpResult&& res);
  void readDone();
  void wake();
  static int onSocket(CURL* easy, curl_socket_t s, int what, void* user, void* socket_data);
  static int onTimer(CURLM* multi, long timeout_ms, void* user);
};

namespace {

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->result.body.size() + len > kMaxBodyBytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->result.body.append(data, len);
  return len;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  // A new status line (after 100 Continue or an intermediate 1xx) starts a fresh header set.
  if (line.rfind("HTTP/", 0) == 0) {
    t->result.headers.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->result.headers.emplace_back(std::move(name), std::string(value));
  return len;
}

// Runs for every socket curl wants to connect, with the resolved address: the one place where
// the check cannot be fooled by a name that resolves differently later (DNS rebinding).
curl_socket_t onOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  if ((!t->policy->allow_private && isPrivateAddress(&address->addr)) ||
      (!t->policy->allow_metadata && isMetadataAddress(&address->addr))) {
    t->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

}  // namespace

// CURLMOPT_SOCKETFUNCTION: keep epoll's interest in each of curl's sockets as curl asks.
int HttpClient::Impl::onSocket(CURL*, curl_socket_t s, int what, void* user, void* socketp) {
  auto* impl = static_cast<Impl*>(user);
  if (impl->tearing_down) return 0;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(impl->epfd, EPOLL_CTL_DEL, s, nullptr);  // may already be closed: nothing to undo then
    return 0;
  }
  epoll_event ev{};
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  ev.data.fd = s;
  if (socketp != nullptr) {
    epoll_ctl(impl->epfd, EPOLL_CTL_MOD, s, &ev);
    return 0;
  }
  // New to us (curl hands back what curl_multi_assign stored, and forgets it at REMOVE): add it.
  if (epoll_ctl(impl->epfd, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST) epoll_ctl(impl->epfd, EPOLL_CTL_MOD, s, &ev);
  curl_multi_assign(impl->multi, s, impl);
  return 0;
}

// CURLMOPT_TIMERFUNCTION: -1 cancels, 0 means as soon as possible.
int HttpClient::Impl::onTimer(CURLM*, long timeout_ms, void* user) {
  auto* impl = static_cast<Impl*>(user);
  impl->timer_set = timeout_ms >= 0;
  if (impl->timer_set) impl->timer_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

void HttpClient::Impl::start(std::unique_ptr<Transfer> t) {
  const HttpRequest& r = t->req;
  // Time spent waiting for a free slot counts against the request's timeout.
  const long waited = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - t->submitted)
                                            .count());
  const long timeout_ms = r.timeout_ms - waited;
  if (timeout_ms <= 0) {
    completeUnstarted(std::move(t), "timed out waiting for a free connection");
    return;
  }
  CURL* e = nullptr;
  if (spare.empty()) {
    e = curl_easy_init();
  } else {
    e = spare.back();
    spare.pop_back();
  }
  t->easy = e;
  t->policy = &policy;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // env proxies would make the address check meaningless
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, policy.allow_plain_http ? "http,https" : "https");
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, kMaxConnectMs));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, onOpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  // No "Expect: 100-continue" round trip on large bodies.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  // HTTP/1.1 implies keep-alive, but some servers (Pistache 0.0.5) close unless asked explicitly.
  t->header_list = curl_slist_append(t->header_list, "Connection: keep-alive");
  for (const auto& [k, v] : r.headers) t->header_list = curl_slist_append(t->header_list, (k + ": " + v).c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
  curl_multi_add_handle(multi, e);
  active.insert(t.get());
  t.release();  // owned through CURLOPT_PRIVATE until finish()
}

void HttpClient::Impl::finish(CURL* easy, CURLcode code) {
  Transfer* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
  std::unique_ptr<Transfer> t(raw);
  active.erase(raw);
  curl_multi_remove_handle(multi, easy);
  HttpResult& res = t->result;
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &res.seconds);
  if (code == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res.status);
  } else {
    res.status = 0;
    res.body.clear();
    res.headers.clear();
    if (t->refused) {
      res.blocked = true;
      res.error = "destination address not allowed";
    } else if (code == CURLE_UNSUPPORTED_PROTOCOL && !policy.allow_plain_http) {
      res.blocked = true;
      res.error = "plain http not allowed";
    } else if (t->too_large) {
      res.error = "response body too large";
    } else {
      res.timed_out = code == CURLE_OPERATION_TIMEDOUT;
      res.error = curl_easy_strerror(code);
    }
  }
  curl_slist_free_all(t->header_list);
  if (spare.size() < max_active) {
    curl_easy_reset(easy);  // every option is set again by start()
    spare.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
  deliver(*t, std::move(res));
}

void HttpClient::Impl::completeUnstarted(std::unique_ptr<Transfer> t, std::string error) {
  HttpResult res;
  res.timed_out = true;
  res.error = std::move(error);
  deliver(*t, std::move(res));
}

void HttpClient::Impl::deliver(Transfer& t, HttpResult&& res) {
  try {
    t.done(std::move(res));
  } catch (const std::exception& ex) {
    log::error("http client callback threw", {{"error", ex.what()}});
  }
  in_flight.fetch_sub(1);
}

void HttpClient::Impl::readDone() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
    if (m->msg == CURLMSG_DONE) finish(m->easy_handle, m->data.result);
  }
}

void HttpClient::Impl::wake() {
  const uint64_t one = 1;
  (void)!::write(wakefd, &one, sizeof one);
}

void HttpClient::Impl::loop() {
  std::vector<epoll_event> events(256);
  int running = 0;
  while (!stopping.load()) {
    {
      std::lock_guard lock(mu);  // only pointers move under it
      if (waiting.empty()) {
        waiting.swap(incoming);
      } else {
        for (auto& t : incoming) waiting.push_back(std::move(t));
        incoming.clear();
      }
    }
    while (active.size() < max_active && !waiting.empty()) {
      auto t = std::move(waiting.front());
      waiting.pop_front();
      start(std::move(t));
    }
    int wait_ms = 1000;
    if (timer_set) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(timer_at - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
    }
    const int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<size_t>(i)].data.fd;
      const uint32_t ev = events[static_cast<size_t>(i)].events;
      if (fd == wakefd) {
        uint64_t count = 0;
        (void)!::read(wakefd, &count, sizeof count);
        continue;
      }
      int flags = 0;
      if (ev & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
      if (ev & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (ev & EPOLLERR) flags |= CURL_CSELECT_ERR;
      curl_multi_socket_action(multi, fd, flags, &running);
    }
    // Even while sockets keep it busy, curl's own deadlines (timeouts, new transfers) come due.
    if (timer_set && std::chrono::steady_clock::now() >= timer_at) {
      timer_set = false;
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    readDone();
  }
}

HttpClient::HttpClient(OutboundPolicy policy, int max_total_connections) : impl_(std::make_unique<Impl>()) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->policy = policy;
  impl_->max_active = static_cast<size_t>(std::max(1, max_total_connections));
  impl_->epfd = epoll_create1(EPOLL_CLOEXEC);
  impl_->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = impl_->wakefd;
  epoll_ctl(impl_->epfd, EPOLL_CTL_ADD, impl_->wakefd, &wake);
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, Impl::onSocket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, Impl::onTimer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_total_connections));
  // Keep idle connections to workers around so bursts reuse them instead of reconnecting.
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, static_cast<long>(max_total_connections));
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

HttpClient::~HttpClient() { stop(); }

void HttpClient::submit(HttpRequest req, Callback done) {
  auto t = std::make_unique<Transfer>();
  t->req = std::move(req);
  t->done = std::move(done);
  t->submitted = std::chrono::steady_clock::now();
  // The wakeup happens under the lock so stop() cannot close the eventfd between the check and the
  // write; a request submitted after stop() is dropped like one still in flight at stop(). Only the
  // first request of a batch wakes the loop: the loop takes the whole queue under this lock.
  std::lock_guard lock(impl_->mu);
  if (impl_->closed) return;
  impl_->in_flight.fetch_add(1);
  const bool first = impl_->incoming.empty();
  impl_->incoming.push_back(std::move(t));
  if (first) impl_->wake();
}

size_t HttpClient::inFlight() const { return impl_->in_flight.load(); }

void HttpClient::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;
  }
  impl_->stopping.store(true);
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->tearing_down = true;
  // Abandon what is left (documented: callbacks are not run after stop()).
  for (Transfer* raw : impl_->active) {
    curl_multi_remove_handle(impl_->multi, raw->easy);
    curl_easy_cleanup(raw->easy);
    curl_slist_free_all(raw->header_list);
    delete raw;
  }
  impl_->active.clear();
  impl_->waiting.clear();
  for (CURL* e : impl_->spare) curl_easy_cleanup(e);
  impl_->spare.clear();
  {
    std::lock_guard lock(impl_->mu);
    impl_->incoming.clear();
  }
  curl_multi_cleanup(impl_->multi);
  impl_->multi = nullptr;
  ::close(impl_->epfd);
  ::close(impl_->wakefd);
  impl_->in_flight.store(0);
}

}  // namespace batchrun
