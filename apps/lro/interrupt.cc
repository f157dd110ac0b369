#include "interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>

namespace lro::cli {
namespace {

constexpr char kInterruptByte = 'i';
constexpr char kWakeByte = 'w';
constexpr char kQuitByte = 'q';
constexpr int kInterruptedExitCode = 130;

// Written by the signal handler, read by the watcher.
int g_pipe_write = -1;
volatile std::sig_atomic_t g_signals = 0;
struct sigaction g_previous {};

extern "C" void OnSigint(int /*signal*/) {
  if (g_signals != 0) _exit(kInterruptedExitCode);  // second Ctrl-C: stop waiting for cleanup
  g_signals = 1;
  const int saved_errno = errno;
  const char byte = kInterruptByte;
  // Nothing useful to do if the write fails; the pipe is non-blocking.
  static_cast<void>(write(g_pipe_write, &byte, 1));
  errno = saved_errno;
}

void WriteByte(char byte) {
  ssize_t written = 0;
  do {
    written = write(g_pipe_write, &byte, 1);
  } while (written < 0 && errno == EINTR);
}

}  // namespace

InterruptWatcher::InterruptWatcher() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
  pipe_read_ = fds[0];
  g_pipe_write = fds[1];
  g_signals = 0;

  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_previous);

  thread_ = std::thread([this] { Watch(); });
}

InterruptWatcher::~InterruptWatcher() {
  sigaction(SIGINT, &g_previous, nullptr);
  WriteByte(kQuitByte);
  thread_.join();
  close(pipe_read_);
  close(g_pipe_write);
  g_pipe_write = -1;
}

void InterruptWatcher::SetDeadline(std::optional<MonotonicTime> deadline) {
  {
    MutexLock lock(mutex_);
    deadline_ = deadline;
  }
  WriteByte(kWakeByte);
}

void InterruptWatcher::Watch() {
  for (;;) {
    int timeout_ms = -1;
    {
      MutexLock lock(mutex_);
      if (deadline_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            *deadline_ - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          deadline_.reset();
          deadline_passed_.store(true);
          source_.Cancel();
          continue;
        }
        timeout_ms =
            static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), 60'000));
      }
    }
    pollfd watched{pipe_read_, POLLIN, 0};
    const int ready = poll(&watched, 1, timeout_ms);
    if (ready <= 0) continue;  // timeout (deadline check above) or EINTR
    char byte = 0;
    while (read(pipe_read_, &byte, 1) == 1) {
      if (byte == kQuitByte) return;
      if (byte == kInterruptByte) {
        interrupted_.store(true);
        source_.Cancel();
      }
    }
  }
}

}  // namespace lro::cli
