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

#include "lrod_process.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

// lrod on the SQLite file `db`, listening.
class Lrod : public LrodProcess {
 public:
  Lrod(const TempDir& dir, const std::string& db, const std::string& name)
      : LrodProcess(dir, name, "sqlite:" + db) {
    EXPECT_TRUE(WaitListening()) << "lrod did not start; log: " << Log();
  }
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
    Lrod lrod(dir, db, "lrod-" + std::to_string(round));
    std::atomic<bool> stop{false};
    std::vector<std::thread> creators;
    creators.reserve(4);
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
  Lrod lrod(dir, db, "lrod-final");
  ExpectAllFinish(lrod, accepted);
}

// Creates an hour-long operation, ends lrod with `signal`, restarts it on the same file: the
// operation is still there, run again (the demo is idempotent), and can be cancelled.
void ExpectARunningOperationOutlives(int signal) {
  TempDir dir;
  const std::string db = dir.File("ops.db");
  auto transport = MakeCurlTransport();
  std::string id;
  {
    Lrod lrod(dir, db, "first");
    auto created = transport->Send({"POST",
                                    lrod.Url("/v1/workspaces/ws/items"),
                                    {{"Content-Type", "application/json"}},
                                    ItemBody("long", 3'600'000)},
                                   {});
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 202);
    id = std::string(*FindHeader(created->headers, "x-ms-operation-id"));
    const int status = lrod.Signal(signal);
    if (signal == SIGKILL) {
      EXPECT_TRUE(WIFSIGNALED(status));
    } else {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << lrod.Log();
    }
  }
  Lrod lrod(dir, db, "second");
  auto state = transport->Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->status, 200);
  // Run again: not started again yet, or running.
  const std::string status = Str(ParseJson(state->body).at("status"));
  EXPECT_TRUE(status == "NotStarted" || status == "Running") << state->body;
  auto cancel = transport->Send({"POST", lrod.Url("/v1/operations/" + id + ":cancel"), {}, {}}, {});
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->status, 200);
}

TEST(Durability, AnOperationRunningAtKillDashNineRunsAgainAfterTheRestart) {
  ExpectARunningOperationOutlives(SIGKILL);
}

TEST(Durability, SigtermStopsGracefullyAndKeepsRunningOperations) {
  ExpectARunningOperationOutlives(SIGTERM);
}

}  // namespace
}  // namespace lro::server::test
