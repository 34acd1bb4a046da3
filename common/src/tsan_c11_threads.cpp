// Linked into every executable of a ThreadSanitizer build (BATCHRUN_SANITIZE=thread) only.
//
// librdkafka starts its threads with C11 thrd_create, which GCC 12's ThreadSanitizer does not
// intercept: such a thread has no TSan state and crashes at its first allocation (inside
// getaddrinfo, in every test that talks to a broker). This definition in the executable takes
// precedence over glibc's for librdkafka's calls and starts the thread with pthread_create, which
// TSan does intercept. glibc's thrd_join/thrd_exit stay valid: a C11 thread is a pthread whose
// result is the int carried in the void*.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <new>

// TSan's annotation API (libtsan), see the comment above mtx_init.
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {
struct Start {
  thrd_start_t fn;
  void* arg;
};

void* trampoline(void* p) {
  Start s = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  return reinterpret_cast<void*>(static_cast<intptr_t>(s.fn(s.arg)));
}
}  // namespace

extern "C" int thrd_create(thrd_t* thr, thrd_start_t fn, void* arg) {
  auto* s = new (std::nothrow) Start{fn, arg};
  if (s == nullptr) return thrd_nomem;
  const int rc = pthread_create(reinterpret_cast<pthread_t*>(thr), nullptr, trampoline, s);
  if (rc == 0) return thrd_success;
  delete s;
  return rc == EAGAIN ? thrd_nomem : thrd_error;
}

// librdkafka's mutexes and condition variables are C11 ones too; glibc implements them on pthreads
// internally, out of TSan's sight, so it would see none of librdkafka's locking and report every
// hand-over between its threads. Routed through the (intercepted) pthread calls instead.
//
// librdkafka often initialises a lock on one thread and hands the object holding it to a thread of
// its own through its (uninstrumented) atomics, so TSan saw no order between the init and the first
// lock and reported the lock as racing with the init. Each init therefore releases on the lock's
// address and each use acquires it first: the order librdkafka guarantees, made visible to TSan.
extern "C" {
int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
  const int rc = pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(m), &attr);
  pthread_mutexattr_destroy(&attr);
  __tsan_release(m);
  return rc == 0 ? thrd_success : thrd_error;
}
int mtx_lock(mtx_t* m) {
  __tsan_acquire(m);
  return pthread_mutex_lock(reinterpret_cast<pthread_mutex_t*>(m)) == 0 ? thrd_success : thrd_error;
}
int mtx_trylock(mtx_t* m) {
  __tsan_acquire(m);
  const int rc = pthread_mutex_trylock(reinterpret_cast<pthread_mutex_t*>(m));
  return rc == 0 ? thrd_success : rc == EBUSY ? thrd_busy : thrd_error;
}
int mtx_timedlock(mtx_t* m, const struct timespec* ts) {
  __tsan_acquire(m);
  const int rc = pthread_mutex_timedlock(reinterpret_cast<pthread_mutex_t*>(m), ts);
  return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}
int mtx_unlock(mtx_t* m) {
  return pthread_mutex_unlock(reinterpret_cast<pthread_mutex_t*>(m)) == 0 ? thrd_success : thrd_error;
}
void mtx_destroy(mtx_t* m) {
  __tsan_acquire(m);
  pthread_mutex_destroy(reinterpret_cast<pthread_mutex_t*>(m));
}
int cnd_init(cnd_t* c) {
  const int rc = pthread_cond_init(reinterpret_cast<pthread_cond_t*>(c), nullptr);
  __tsan_release(c);
  return rc == 0 ? thrd_success : thrd_error;
}
int cnd_signal(cnd_t* c) {
  __tsan_acquire(c);
  return pthread_cond_signal(reinterpret_cast<pthread_cond_t*>(c)) == 0 ? thrd_success : thrd_error;
}
int cnd_broadcast(cnd_t* c) {
  __tsan_acquire(c);
  return pthread_cond_broadcast(reinterpret_cast<pthread_cond_t*>(c)) == 0 ? thrd_success : thrd_error;
}
int cnd_wait(cnd_t* c, mtx_t* m) {
  __tsan_acquire(c);
  return pthread_cond_wait(reinterpret_cast<pthread_cond_t*>(c), reinterpret_cast<pthread_mutex_t*>(m)) == 0
             ? thrd_success
             : thrd_error;
}
int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* ts) {
  __tsan_acquire(c);
  const int rc =
      pthread_cond_timedwait(reinterpret_cast<pthread_cond_t*>(c), reinterpret_cast<pthread_mutex_t*>(m), ts);
  return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}
void cnd_destroy(cnd_t* c) {
  __tsan_acquire(c);
  pthread_cond_destroy(reinterpret_cast<pthread_cond_t*>(c));
}
int thrd_join(thrd_t thr, int* res) {
  void* out = nullptr;
  if (pthread_join(static_cast<pthread_t>(thr), &out) != 0) return thrd_error;
  if (res) *res = static_cast<int>(reinterpret_cast<intptr_t>(out));
  return thrd_success;
}
int thrd_detach(thrd_t thr) { return pthread_detach(static_cast<pthread_t>(thr)) == 0 ? thrd_success : thrd_error; }
}
