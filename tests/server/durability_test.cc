// Durability of the real lrod binary: kill -9 while operations are being created and run,
// restart on the same SQLite file, and every operation that was answered 202 is readable and
// reaches a terminal state.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "server_test_support.h"

namespace lro::server::test {
namespace {

// lrod as a child process on an ephemeral port, logging to a file.
class Lrod {
 public:
  Lrod(const TempDir& dir, const std::string& db, const std::string& log_name) {
    log_ = dir.File(log_name);
    const std::string store = "--store=sqlite:" + db;
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      const char* argv[] = {LROD_PATH,
                            "--demo",
                            "--listen=127.0.0.1:0",
                            store.c_str(),
                            "--retry-after",
                            "Item.Create=0",
                            "--inline-budget",
                            "0",
                            "--shutdown-grace=2s",
                            nullptr};
      ::execv(LROD_PATH, const_cast<char* const*>(argv));
      ::_exit(127);
    }
    // The port is in the "listening" log line.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
      std::ifstream file(log_);
      std::string line;
      while (std::getline(file, line)) {
        const auto at = line.find("\"address\":\"127.0.0.1:");
        if (line.find("\"listening\"") != std::string::npos && at != std::string::npos) {
          port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + 21)));
        }
      }
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_NE(port_, 0) << "lrod did not start; log: " << Log();
  }
  ~Lrod() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  Lrod(const Lrod&) = delete;
  Lrod& operator=(const Lrod&) = delete;

  // Sends `signal` and reaps the process; returns its wait status.
  int Signal(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  [[nodiscard]] std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  [[nodiscard]] std::string Log() const {
    std::ifstream file(log_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

struct Accepted {
  bool should_fail = false;
};

// Creates operations from several threads until `stop`; records every 202.
void CreateUntilStopped(const Lrod& lrod, std::atomic<bool>& stop, std::mutex& mutex,
                        std::map<std::string, Accepted>& accepted, unsigned seed) {
  CurlTransportOptions options;
  options.request_timeout = std::chrono::seconds(5);
  options.connect_timeout = std::chrono::seconds(2);
  auto transport = MakeCurlTransport(options);
  std::mt19937 random(seed);
  while (!stop) {
    const int duration = static_cast<int>(random() % 400);
    const bool fail = random() % 5 == 0;
    const std::string demo =
        fail ? R"("progressSteps":2,"failWith":{"errorCode":"Planned"})" : R"("progressSteps":2)";
    auto response = transport->Send({"POST",
                                     lrod.Url("/v1/workspaces/ws/items"),
                                     {{"Content-Type", "application/json"}},
                                     ItemBody("nb", duration, demo)},
                                    {});
    if (!response.ok()) return;  // killed
    if (response->status != 202) continue;
    const auto id = FindHeader(response->headers, "x-ms-operation-id");
    ASSERT_TRUE(id.has_value());
    std::lock_guard lock(mutex);
    accepted[std::string(*id)] = Accepted{fail};
  }
}

// Every accepted operation is readable on `lrod` and reaches the terminal state it asked for.
void ExpectAllFinish(const Lrod& lrod, const std::map<std::string, Accepted>& accepted) {
  auto transport = MakeCurlTransport();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& [id, expectation] : accepted) {
    std::string status;
    std::string body;
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = transport->Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
      ASSERT_TRUE(response.ok()) << response.status().ToString();
      ASSERT_EQ(response->status, 200) << "operation " << id << " lost: " << response->body;
      body = response->body;
      status = std::string(ParseJson(body).at("status").as_string());
      if (status == "Succeeded" || status == "Failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (expectation.should_fail) {
      EXPECT_EQ(status, "Failed") << id << " " << body;
      EXPECT_NE(body.find("Planned"), std::string::npos) << body;
    } else {
      EXPECT_EQ(status, "Succeeded") << id << " " << body;
    }
  }
}

std::size_t Count(std::mutex& mutex, const std::map<std::string, Accepted>& accepted) {
  std::lock_guard lock(mutex);
  return accepted.size();
}

TEST(Durability, KillDashNineLosesNoAcceptedOperation) {
  constexpr std::size_t kAcceptedPerRound = 15;
  TempDir dir;
  const std::string db = dir.File("ops.db");
  std::map<std::string, Accepted> accepted;
  std::mutex mutex;
  for (int round = 0; round < 2; ++round) {
    const std::size_t target = Count(mutex, accepted) + kAcceptedPerRound;
    Lrod lrod(dir, db, "lrod-" + std::to_string(round) + ".log");
    std::atomic<bool> stop{false};
    std::vector<std::thread> creators;
    for (unsigned t = 0; t < 4; ++t) {
      creators.emplace_back([&, t] {
        CreateUntilStopped(lrod, stop, mutex, accepted, t + 10 * static_cast<unsigned>(round));
      });
    }
    // Killed once this round has had some creations accepted (and others still on the way):
    // a count the round reaches whatever the machine's speed, not a time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Count(mutex, accepted) < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const bool reached = Count(mutex, accepted) >= target;
    const int status = lrod.Signal(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    stop = true;
    for (auto& thread : creators) thread.join();
    ASSERT_TRUE(reached) << "lrod accepted too few creations; log: " << lrod.Log();
  }
  Lrod lrod(dir, db, "lrod-final.log");
  ExpectAllFinish(lrod, accepted);
}

TEST(Durability, AnOperationRunningAtKillDashNineRunsAgainAfterTheRestart) {
  TempDir dir;
  const std::string db = dir.File("ops.db");
  auto transport = MakeCurlTransport();
  std::string id;
  {
    Lrod lrod(dir, db, "first.log");
    auto created = transport->Send({"POST",
                                    lrod.Url("/v1/workspaces/ws/items"),
                                    {{"Content-Type", "application/json"}},
                                    ItemBody("long", 3'600'000)},
                                   {});
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 202);
    id = std::string(*FindHeader(created->headers, "x-ms-operation-id"));
    EXPECT_TRUE(WIFSIGNALED(lrod.Signal(SIGKILL)));
  }
  Lrod lrod(dir, db, "second.log");
  EXPECT_NE(lrod.Log().find("recovered unfinished operations"), std::string::npos) << lrod.Log();
  auto state = transport->Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->status, 200);
  // Re-run (the demo is idempotent): not started again yet, or running.
  const std::string status = Str(ParseJson(state->body).at("status"));
  EXPECT_TRUE(status == "NotStarted" || status == "Running") << state->body;
  auto cancel = transport->Send({"POST", lrod.Url("/v1/operations/" + id + ":cancel"), {}, {}}, {});
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->status, 200);
}

TEST(Durability, SigtermStopsGracefullyAndKeepsRunningOperations) {
  TempDir dir;
  const std::string db = dir.File("ops.db");
  std::string id;
  {
    Lrod lrod(dir, db, "first.log");
    auto transport = MakeCurlTransport();
    auto created = transport->Send({"POST",
                                    lrod.Url("/v1/workspaces/ws/items"),
                                    {{"Content-Type", "application/json"}},
                                    ItemBody("long", 3'600'000)},
                                   {});
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 202);
    id = std::string(*FindHeader(created->headers, "x-ms-operation-id"));
    const int status = lrod.Signal(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << lrod.Log();
  }
  Lrod lrod(dir, db, "second.log");
  auto transport = MakeCurlTransport();
  auto state = transport->Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->status, 200);
  // Re-run (the demo is idempotent): not started again yet, or running.
  const std::string status = Str(ParseJson(state->body).at("status"));
  EXPECT_TRUE(status == "NotStarted" || status == "Running") << state->body;
  auto cancel = transport->Send({"POST", lrod.Url("/v1/operations/" + id + ":cancel"), {}, {}}, {});
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->status, 200);
}

}  // namespace
}  // namespace lro::server::test
