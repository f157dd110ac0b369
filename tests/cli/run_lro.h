// Runs the real `lro` binary in a child process: stdout and stderr on pipes (or stderr on a
// pseudo-terminal), with a safety kill so a hung child fails the test instead of the run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lro::cli_test {

struct LroRun {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;     // stdout
  std::string err;     // stderr (what the pseudo-terminal showed, for a pty run)
  bool killed_by_safety_timeout = false;
};

struct RunOptions {
  std::string stdin_data{};                                // fed to stdin, then closed
  std::vector<std::pair<std::string, std::string>> env{};  // added to the environment
  std::string cwd{};                                       // empty: inherited
  bool stderr_on_pty = false;  // stderr is a pseudo-terminal of pty_columns columns
  unsigned short pty_columns = 100;
  // With stderr_on_pty: the pseudo-terminal is lro's controlling terminal (lro leads a session
  // of its own) and keys typed with LroProcess::Type act as on a terminal: Ctrl-C sends SIGINT
  // and is echoed as "^C".
  bool controlling_terminal = false;
  // stdout is not read before Finish: lro's writes to it block once the pipe is full.
  bool hold_stdout = false;
};

// A running `lro`.
class LroProcess {
 public:
  LroProcess(const std::vector<std::string>& args, const RunOptions& options = {});
  ~LroProcess();
  LroProcess(const LroProcess&) = delete;
  LroProcess& operator=(const LroProcess&) = delete;
  LroProcess(LroProcess&&) = delete;
  LroProcess& operator=(LroProcess&&) = delete;

  // Reads output until `done(stdout_so_far, stderr_so_far)` holds; false if the child ended
  // or `limit` passed first.
  bool WaitFor(const std::function<bool(const std::string& out, const std::string& err)>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(20));
  // Shorthand: until stderr contains `text`.
  bool WaitForStderr(const std::string& text,
                     std::chrono::milliseconds limit = std::chrono::seconds(20));

  void Signal(int signal);
  // Types `keys` on the terminal (RunOptions::controlling_terminal).
  void Type(std::string_view keys);
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Bytes lro wrote to stdout that nobody read yet (RunOptions::hold_stdout).
  [[nodiscard]] std::size_t UnreadStdout() const;
  // Reads to the end and reaps the child (SIGKILL after `limit`).
  LroRun Finish(std::chrono::milliseconds limit = std::chrono::seconds(30));

 private:
  // Reads whatever is available within `timeout_ms`; false once every stream is closed.
  bool Pump(int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool hold_stdout_ = false;
  LroRun run_;
  bool reaped_ = false;
};

// Runs `lro args…` to the end.
LroRun RunLro(const std::vector<std::string>& args, const RunOptions& options = {});

// The path of the binary under test.
const char* LroPath();

}  // namespace lro::cli_test
