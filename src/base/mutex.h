// Mutex and its guards, annotated for clang's -Wthread-safety (enabled in
// every clang build: the sanitizer build of scripts/test and CI), so that a
// field marked GUARDED_BY(mutex) read or written without holding `mutex` is
// a compile error there. std::mutex carries no annotations in libstdc++;
// this is a thin wrapper around it.
//
//   base::Mutex mutex_;
//   int count_ GUARDED_BY(mutex_) = 0;
//   void bump() EXCLUDES(mutex_) { base::MutexLock lock(mutex_); ++count_; }
//
// Waiting on a condition: base::CondVar (a std::condition_variable_any) with
// a base::MutexLock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define INTERSTICE_THREAD_ATTRIBUTE(x) __attribute__((x))
#else
#define INTERSTICE_THREAD_ATTRIBUTE(x)
#endif

#define CAPABILITY(x) INTERSTICE_THREAD_ATTRIBUTE(capability(x))
#define SCOPED_CAPABILITY INTERSTICE_THREAD_ATTRIBUTE(scoped_lockable)
#define GUARDED_BY(x) INTERSTICE_THREAD_ATTRIBUTE(guarded_by(x))
#define PT_GUARDED_BY(x) INTERSTICE_THREAD_ATTRIBUTE(pt_guarded_by(x))
#define REQUIRES(...) INTERSTICE_THREAD_ATTRIBUTE(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) INTERSTICE_THREAD_ATTRIBUTE(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) INTERSTICE_THREAD_ATTRIBUTE(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) INTERSTICE_THREAD_ATTRIBUTE(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) INTERSTICE_THREAD_ATTRIBUTE(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) INTERSTICE_THREAD_ATTRIBUTE(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) INTERSTICE_THREAD_ATTRIBUTE(release_generic_capability(__VA_ARGS__))
#define EXCLUDES(...) INTERSTICE_THREAD_ATTRIBUTE(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS INTERSTICE_THREAD_ATTRIBUTE(no_thread_safety_analysis)

namespace interstice::base {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }
  bool try_lock() INTERSTICE_THREAD_ATTRIBUTE(try_acquire_capability(true)) {
    return mutex_.try_lock();
  }

 private:
  std::mutex mutex_;
};

// Holds a Mutex for its scope; unlock()/lock() let a loop drop it for a while.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mutex_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  void unlock() RELEASE() {
    mutex_.unlock();
    held_ = false;
  }
  void lock() ACQUIRE() {
    mutex_.lock();
    held_ = true;
  }

 private:
  Mutex& mutex_;
  bool held_ = true;
};

// Waits with a MutexLock held, released while waiting. Written as a loop
// around the condition (`while (!ready_) changed_.wait(lock);`), so the
// analysis sees the guarded reads happen under the lock; a predicate lambda
// would be a function of its own, holding nothing as far as it knows.
class CondVar {
 public:
  void wait(MutexLock& lock) { condition_.wait(lock); }
  // False once `deadline` passed.
  template <typename Clock, typename Duration>
  bool wait_until(MutexLock& lock, const std::chrono::time_point<Clock, Duration>& deadline) {
    return condition_.wait_until(lock, deadline) == std::cv_status::no_timeout;
  }
  void notify_one() { condition_.notify_one(); }
  void notify_all() { condition_.notify_all(); }

 private:
  std::condition_variable_any condition_;
};

}  // namespace interstice::base
