// The real lrod binary as a child process, for the tests that kill, stop and restart it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server_test_support.h"

namespace lro::server::test {

// lrod with the demo service on an ephemeral port of 127.0.0.1, storing in `store` (a --store
// value), logging to `<dir>/<name>.log`. Demo operations answer Retry-After: 0, nothing is
// answered inline. `extra_args` follow those. The destructor kills it (SIGKILL) if it runs.
class LrodProcess {
 public:
  LrodProcess(const TempDir& dir, const std::string& name, const std::string& store,
              std::vector<std::string> extra_args = {});
  ~LrodProcess();
  LrodProcess(const LrodProcess&) = delete;
  LrodProcess& operator=(const LrodProcess&) = delete;
  LrodProcess(LrodProcess&&) = delete;
  LrodProcess& operator=(LrodProcess&&) = delete;

  // Waits for the "listening" log line; false when lrod exited or did not listen within 30 s.
  [[nodiscard]] bool WaitListening();
  // Signals go only to a process not yet reaped (never kill(-1, …)).
  void Pause() const;   // SIGSTOP
  void Resume() const;  // SIGCONT
  // Sends `signal` and reaps the process; returns its wait status.
  int Signal(int signal);
  // Sends `signal` only.
  void Send(int signal) const;
  // Reaps the process (waiting for it to end); returns its wait status.
  int Wait();

  [[nodiscard]] std::string Url(std::string_view path) const;
  // After WaitListening.
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string Log() const;
  // For failure messages: "running", or how it ended ("exited with 1", "killed by signal 9"),
  // reaping it if it has ended.
  [[nodiscard]] std::string Describe();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

}  // namespace lro::server::test
