// Ctrl-C and the local deadline, as a cancellation token.
//
// The SIGINT handler only writes a byte to a pipe (async-signal-safe); a watcher thread reads
// it and fires a CancellationSource, which is not async-signal-safe. The same thread fires it
// when an optional deadline passes. A second Ctrl-C ends the process at once (exit 130).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "lro/cancellation.h"
#include "lro/clock.h"
#include "wire/thread_safety.h"

namespace lro::cli {

class InterruptWatcher {
 public:
  // Installs the SIGINT handler and starts the watcher thread. One per process.
  InterruptWatcher();
  // Stops the thread and restores the previous handler.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;
  InterruptWatcher(InterruptWatcher&&) = delete;
  InterruptWatcher& operator=(InterruptWatcher&&) = delete;

  // Fires on Ctrl-C, or when the deadline set by SetDeadline passes.
  [[nodiscard]] CancellationToken token() const { return source_.token(); }
  // Fire token() at `deadline` too (nullopt: no deadline).
  void SetDeadline(std::optional<MonotonicTime> deadline);

  [[nodiscard]] bool interrupted() const { return interrupted_.load(); }
  [[nodiscard]] bool deadline_passed() const { return deadline_passed_.load(); }

 private:
  void Watch();

  CancellationSource source_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> deadline_passed_{false};
  Mutex mutex_;
  std::optional<MonotonicTime> deadline_ LRO_GUARDED_BY(mutex_);
  int pipe_read_ = -1;
  std::thread thread_;
};

}  // namespace lro::cli
