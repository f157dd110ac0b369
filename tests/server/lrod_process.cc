#include "lrod_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace lro::server::test {

LrodProcess::LrodProcess(const TempDir& dir, const std::string& name, const std::string& store,
                         std::vector<std::string> extra_args)
    : log_(dir.File(name + ".log")) {
  std::vector<std::string> args = {
      LROD_PATH,       "--demo",        "--listen=127.0.0.1:0", "--store=" + store,
      "--retry-after", "Item.Create=0", "--inline-budget=0",    "--shutdown-grace=2s"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(LROD_PATH, argv.data());
    ::_exit(127);
  }
}

LrodProcess::~LrodProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);  // a stopped process cannot be reaped
    Signal(SIGKILL);
  }
}

bool LrodProcess::WaitListening() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream file(log_);
    std::string line;
    while (std::getline(file, line)) {
      const auto at = line.find("\"address\":\"127.0.0.1:");
      if (line.find("\"listening\"") != std::string::npos && at != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + 21)));
        return true;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void LrodProcess::Pause() const { Send(SIGSTOP); }
void LrodProcess::Resume() const { Send(SIGCONT); }

int LrodProcess::Signal(int signal) {
  Send(signal);
  return Wait();
}

void LrodProcess::Send(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

int LrodProcess::Wait() {
  int status = 0;
  if (pid_ <= 0) return status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

std::string LrodProcess::Describe() {
  if (pid_ <= 0) return "reaped earlier";
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return "running";
  pid_ = -1;
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with " + std::to_string(WEXITSTATUS(status));
}

std::string LrodProcess::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string LrodProcess::Log() const {
  std::ifstream file(log_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace lro::server::test
