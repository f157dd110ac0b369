#include "run_lro.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace lro::cli_test {
namespace {

// Variables of the test's own environment the child must not inherit: a proxy would swallow
// loopback requests, a bearer would change what is sent, TERM is set per run.
bool Dropped(std::string_view entry) {
  for (std::string_view name : {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY",
                                "HTTPS_PROXY", "ALL_PROXY", "LRO_BEARER", "TERM"}) {
    if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
        entry[name.size()] == '=') {
      return true;
    }
  }
  return false;
}

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

const char* LroPath() { return LRO_CLI_PATH; }

LroProcess::LroProcess(const std::vector<std::string>& args, const RunOptions& options) {
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> arg_storage;
  arg_storage.emplace_back(LroPath());
  arg_storage.insert(arg_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(arg_storage.size() + 1);
  for (std::string& arg : arg_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!Dropped(*entry)) env_storage.emplace_back(*entry);
  }
  env_storage.emplace_back(options.stderr_on_pty ? "TERM=xterm-256color" : "TERM=dumb");
  for (const auto& [name, value] : options.env) {
    env_storage.emplace_back(name).append("=").append(value);
  }
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2] = {-1, -1};
  Check(pipe2(in_pipe, O_CLOEXEC) == 0, "pipe");
  Check(pipe2(out_pipe, O_CLOEXEC) == 0, "pipe");
  if (options.stderr_on_pty) {
    termios raw{};
    cfmakeraw(&raw);  // no \n → \r\n translation: the test sees the bytes lro wrote
    if (options.controlling_terminal) {
      raw.c_lflag |= ISIG | ECHO | ECHOCTL;  // Ctrl-C: SIGINT to lro, "^C" on the screen
      raw.c_cc[VINTR] = 0x03;
    }
    winsize size{};
    size.ws_row = 24;
    size.ws_col = options.pty_columns;
    Check(openpty(&err_pipe[0], &err_pipe[1], nullptr, &raw, &size) == 0, "openpty");
    fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(err_pipe[1], F_SETFD, FD_CLOEXEC);
  } else {
    Check(pipe2(err_pipe, O_CLOEXEC) == 0, "pipe");
  }
  // Small inputs fit the pipe's buffer: write them before the child reads.
  if (!options.stdin_data.empty()) {
    if (options.stdin_data.size() > 60'000) throw std::runtime_error("stdin_data too large");
    Check(write(in_pipe[1], options.stdin_data.data(), options.stdin_data.size()) ==
              static_cast<ssize_t>(options.stdin_data.size()),
          "write stdin");
  }
  const std::string cwd = options.cwd;
  const bool controlling_terminal = options.stderr_on_pty && options.controlling_terminal;
  hold_stdout_ = options.hold_stdout;

  pid_ = fork();
  Check(pid_ >= 0, "fork");
  if (pid_ == 0) {
    if (controlling_terminal && (setsid() < 0 || ioctl(err_pipe[1], TIOCSCTTY, 0) != 0)) {
      _exit(125);
    }
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(in_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
}

LroProcess::~LroProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool LroProcess::Pump(int timeout_ms) {
  pollfd fds[2];
  nfds_t count = 0;
  if (out_fd_ >= 0 && !hold_stdout_) fds[count++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[count++] = {err_fd_, POLLIN, 0};
  if (count == 0) return false;
  const int ready = poll(fds, count, timeout_ms);
  if (ready <= 0) return true;
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    char buffer[4096];
    const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
    std::string& sink = fds[i].fd == out_fd_ ? run_.out : run_.err;
    if (n > 0) {
      sink.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {  // EOF, or EIO from a pty whose child is gone
      int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
      close(fd);
      fd = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool LroProcess::WaitFor(
    const std::function<bool(const std::string& out, const std::string& err)>& done,
    std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done(run_.out, run_.err)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (!Pump(50)) return done(run_.out, run_.err);
  }
  return true;
}

bool LroProcess::WaitForStderr(const std::string& text, std::chrono::milliseconds limit) {
  return WaitFor([&text](const std::string&,
                         const std::string& err) { return err.find(text) != std::string::npos; },
                 limit);
}

void LroProcess::Signal(int signal) { kill(pid_, signal); }

std::size_t LroProcess::UnreadStdout() const {
  int unread = 0;
  if (out_fd_ < 0 || ioctl(out_fd_, FIONREAD, &unread) != 0) return 0;
  return static_cast<std::size_t>(unread);
}

void LroProcess::Type(std::string_view keys) {
  Check(write(err_fd_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size()), "type");
}

LroRun LroProcess::Finish(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  hold_stdout_ = false;
  while (Pump(50)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      run_.killed_by_safety_timeout = true;
      break;
    }
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (WIFEXITED(status)) run_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run_.exit_code = 128 + WTERMSIG(status);
  return run_;
}

LroRun RunLro(const std::vector<std::string>& args, const RunOptions& options) {
  LroProcess process(args, options);
  return process.Finish();
}

}  // namespace lro::cli_test
