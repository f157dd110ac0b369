// Clang's thread-safety analysis (-Wthread-safety, see
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html): the annotations and the mutex types
// they apply to. Under clang the annotations are attributes that the compiler checks; under
// other compilers they expand to nothing and Mutex is a plain std::mutex.
//
// Use:
//   Mutex mutex_;
//   int count_ LRO_GUARDED_BY(mutex_) = 0;       // read or written only with mutex_ held
//   void BumpLocked() LRO_REQUIRES(mutex_);      // the caller holds mutex_
//   void Bump() LRO_EXCLUDES(mutex_) { MutexLock lock(mutex_); BumpLocked(); }
//
// Internal (src/, apps/): public headers under include/lro do not include it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <utility>

#if defined(__clang__)
#define LRO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LRO_THREAD_ANNOTATION(x)
#endif

// A class whose objects are capabilities (locks); `name` appears in the diagnostics.
#define LRO_CAPABILITY(name) LRO_THREAD_ANNOTATION(capability(name))
// An RAII class that acquires a capability in its constructor and releases it in its destructor.
#define LRO_SCOPED_CAPABILITY LRO_THREAD_ANNOTATION(scoped_lockable)
// A data member read or written only while `x` is held (shared suffices for reads).
#define LRO_GUARDED_BY(x) LRO_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee is read or written only while `x` is held.
#define LRO_PT_GUARDED_BY(x) LRO_THREAD_ANNOTATION(pt_guarded_by(x))
// Documents a lock order: this mutex is taken before those named.
#define LRO_ACQUIRED_BEFORE(...) LRO_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
// The caller holds the capabilities (exclusively / at least shared) and still holds them after.
#define LRO_REQUIRES(...) LRO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define LRO_REQUIRES_SHARED(...) LRO_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The function acquires the capabilities (no argument: the object itself) and returns holding
// them; the caller did not hold them.
#define LRO_ACQUIRE(...) LRO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define LRO_ACQUIRE_SHARED(...) LRO_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
// The function releases capabilities that the caller held.
#define LRO_RELEASE(...) LRO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define LRO_RELEASE_SHARED(...) LRO_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// The function acquires the capabilities when it returns `result` (true or false).
#define LRO_TRY_ACQUIRE(...) LRO_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The caller must not hold the capabilities (the function takes them itself).
#define LRO_EXCLUDES(...) LRO_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// At run time a no-op; to the analysis: from here on the capability is held.
#define LRO_ASSERT_CAPABILITY(x) LRO_THREAD_ANNOTATION(assert_capability(x))
// The function returns a reference to the capability `x`.
#define LRO_RETURN_CAPABILITY(x) LRO_THREAD_ANNOTATION(lock_returned(x))
// Turns the analysis off for one function. Say why wherever it is used.
#define LRO_NO_THREAD_SAFETY_ANALYSIS LRO_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace lro {

class MutexLock;

// A std::mutex that the analysis knows as a capability. Not recursive. Lockable, so it also
// works with std::scoped_lock, but MutexLock is what code uses.
class LRO_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  ~Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  Mutex(Mutex&&) = delete;
  Mutex& operator=(Mutex&&) = delete;

  void lock() LRO_ACQUIRE() { mutex_.lock(); }
  void unlock() LRO_RELEASE() { mutex_.unlock(); }
  // Takes the mutex when it is free; true when it did.
  bool try_lock() LRO_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

  // Tells the analysis the caller holds this mutex, where it cannot see it (a lambda that a
  // condition variable calls with the mutex held). Checks nothing at run time.
  void AssertHeld() const LRO_ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (std::unique_lock underneath, for condition variables).
// Unlock() and Lock() release it for a while and take it back; the destructor releases it only
// when held.
class LRO_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) LRO_ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() LRO_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  MutexLock(MutexLock&&) = delete;
  MutexLock& operator=(MutexLock&&) = delete;

  // REQUIRES: held. Releases the mutex (until Lock()).
  void Unlock() LRO_RELEASE() { lock_.unlock(); }
  // REQUIRES: released by Unlock(). Takes the mutex again.
  void Lock() LRO_ACQUIRE() { lock_.lock(); }

  // The waits of std::condition_variable, with the mutex held on return. A predicate reading
  // guarded members runs with the mutex held but is its own function to the analysis: it calls
  // AssertHeld() on the mutex first.
  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  template <typename Predicate>
  void Wait(std::condition_variable& cv, Predicate pred) {
    cv.wait(lock_, std::move(pred));
  }
  template <typename Clock, typename Duration>
  std::cv_status WaitUntil(std::condition_variable& cv,
                           const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv.wait_until(lock_, deadline);
  }
  // Returns pred() as of the return: false when the deadline passed first.
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(std::condition_variable& cv,
                 const std::chrono::time_point<Clock, Duration>& deadline, Predicate pred) {
    return cv.wait_until(lock_, deadline, std::move(pred));
  }
  template <typename Rep, typename Period>
  std::cv_status WaitFor(std::condition_variable& cv,
                         const std::chrono::duration<Rep, Period>& timeout) {
    return cv.wait_for(lock_, timeout);
  }
  // Returns pred() as of the return: false when the timeout passed first.
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(std::condition_variable& cv, const std::chrono::duration<Rep, Period>& timeout,
               Predicate pred) {
    return cv.wait_for(lock_, timeout, std::move(pred));
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

// A std::shared_mutex that the analysis knows as a capability: many readers or one writer.
class LRO_CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() = default;
  ~SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  SharedMutex(SharedMutex&&) = delete;
  SharedMutex& operator=(SharedMutex&&) = delete;

  void lock() LRO_ACQUIRE() { mutex_.lock(); }
  void unlock() LRO_RELEASE() { mutex_.unlock(); }
  void lock_shared() LRO_ACQUIRE_SHARED() { mutex_.lock_shared(); }
  void unlock_shared() LRO_RELEASE_SHARED() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

// Holds a SharedMutex exclusively (writing) for its scope.
class LRO_SCOPED_CAPABILITY WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex& mutex) LRO_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~WriterMutexLock() LRO_RELEASE() { mutex_.unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;
  WriterMutexLock(WriterMutexLock&&) = delete;
  WriterMutexLock& operator=(WriterMutexLock&&) = delete;

 private:
  SharedMutex& mutex_;
};

// Holds a SharedMutex shared (reading) for its scope.
class LRO_SCOPED_CAPABILITY ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex& mutex) LRO_ACQUIRE_SHARED(mutex) : mutex_(mutex) {
    mutex_.lock_shared();
  }
  ~ReaderMutexLock() LRO_RELEASE() { mutex_.unlock_shared(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;
  ReaderMutexLock(ReaderMutexLock&&) = delete;
  ReaderMutexLock& operator=(ReaderMutexLock&&) = delete;

 private:
  SharedMutex& mutex_;
};

}  // namespace lro
