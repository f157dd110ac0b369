// Several real lrod processes on one PostgreSQL database (LRO_TEST_POSTGRES; skipped without
// it): any replica answers about any operation, a replica killed with running work loses
// nothing and applies no effect twice, cancel reaches the replica running the work, one idempotency
// key makes one operation whichever replicas it reaches, and replicas may start at once on an empty
// database. Each test runs in a PostgreSQL schema of its own.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "lrod_process.h"
#include "postgres_test_support.h"
#include "runtime/ids.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

using std::chrono::milliseconds;

// One lrod replica: a process of its own, with a replica id of its own. The replicas of a test
// record the demo's effects (item creations) in one file: `<dir>/effects`.
class Replica : public LrodProcess {
 public:
  Replica(const TempDir& dir, const std::string& store, const std::string& name,
          const std::string& lease)
      : LrodProcess(dir, name, store,
                    {"--replica-id=" + name + "-" + internal::NewRequestId(), "--lease=" + lease,
                     "--demo-effects-file=" + dir.File("effects")}) {}
};

class Replicas : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PostgresConninfo().empty()) {
      GTEST_SKIP() << "LRO_TEST_POSTGRES is not set (a libpq conninfo; "
                      "scripts/postgres-test-cluster.sh run -- ctest … sets it)";
    }
    schema_ = std::make_unique<PostgresSchema>();
  }
  void TearDown() override {
    replicas_.clear();
    schema_.reset();
  }

  // Starts `count` replicas at once and waits until each listens.
  void Start(int count, const std::string& lease = "1s") {
    for (int i = 0; i < count; ++i) {
      replicas_.push_back(std::make_unique<Replica>(
          dir_, schema_->conninfo(), std::string(1, static_cast<char>('a' + i)), lease));
    }
    for (auto& replica : replicas_) {
      ASSERT_TRUE(replica->WaitListening()) << replica->Log();
    }
  }
  Replica& At(std::size_t i) { return *replicas_.at(i); }

  // How many times each operation's effect was applied, by operation id.
  std::map<std::string, int> Effects() const {
    std::map<std::string, int> count;
    std::ifstream file(dir_.File("effects"));
    for (std::string line; std::getline(file, line);) ++count[line];
    return count;
  }

  HttpResponse Send(const Replica& replica, const std::string& method, std::string_view path,
                    std::string body = "", Headers headers = {}) {
    if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
    auto response = transport_->Send({method, replica.Url(path), headers, std::move(body)}, {});
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : HttpResponse{};
  }

  std::string Create(const Replica& replica, int duration_ms, Headers headers = {}) {
    auto created = Send(replica, "POST", kItems, ItemBody("nb", duration_ms), std::move(headers));
    EXPECT_EQ(created.status, 202) << created.body;
    return std::string(FindHeader(created.headers, "x-ms-operation-id").value_or(""));
  }

  // Polls `id` on `replica` until terminal (30 s at most); returns the last state.
  boost::json::object WaitTerminalOn(const Replica& replica, const std::string& id) {
    boost::json::object state;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = Send(replica, "GET", "/v1/operations/" + id);
      if (response.status != 200) {
        ADD_FAILURE() << "GET " << id << ": " << response.status << " " << response.body;
        return state;
      }
      state = ParseJson(response.body).as_object();
      const std::string status = Str(state.at("status"));
      if (status == "Succeeded" || status == "Failed" || status == "Canceled") return state;
      std::this_thread::sleep_for(milliseconds(20));
    }
    ADD_FAILURE() << id << " did not finish: " << boost::json::serialize(state);
    return state;
  }

  TempDir dir_;
  std::unique_ptr<PostgresSchema> schema_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::shared_ptr<HttpTransport> transport_ = MakeCurlTransport();
};

TEST_F(Replicas, CreatedOnOnePolledOnTheOthersWithOneResultAndOneList) {
  Start(3);
  const std::string id = Create(At(0), 300);
  ASSERT_FALSE(id.empty());
  auto on_b = WaitTerminalOn(At(1), id);
  EXPECT_EQ(Str(on_b.at("status")), "Succeeded");
  auto on_c = WaitTerminalOn(At(2), id);
  EXPECT_EQ(Str(on_c.at("status")), "Succeeded");
  const auto result_a = Send(At(0), "GET", "/v1/operations/" + id + "/result");
  const auto result_c = Send(At(2), "GET", "/v1/operations/" + id + "/result");
  EXPECT_EQ(result_a.status, 200);
  EXPECT_EQ(result_a.body, result_c.body);
  for (std::size_t i = 0; i < 3; ++i) {
    auto list = Send(At(i), "GET", "/v1/operations");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_NE(list.body.find(id), std::string::npos) << "replica " << i << ": " << list.body;
  }
}

TEST_F(Replicas, AReplicaKilledWithRunningOperationsLosesNone) {
  Start(2);
  std::vector<std::string> ids;
  ids.reserve(20);
  for (int i = 0; i < 20; ++i) ids.push_back(Create(At(0), 4000));
  // They run on A (Running, or about to be).
  auto state = Send(At(1), "GET", "/v1/operations/" + ids.front());
  ASSERT_EQ(state.status, 200);
  At(0).Signal(SIGKILL);
  for (const auto& id : ids) {
    auto finished = WaitTerminalOn(At(1), id);
    EXPECT_EQ(Str(finished.at("status")), "Succeeded") << id << " " << At(1).Log();
  }
  EXPECT_NE(At(1).Log().find("re-running an interrupted operation"), std::string::npos);
  // Each handler's effect was applied once: re-runs on the survivor did not apply it again.
  const auto effects = Effects();
  EXPECT_EQ(effects.size(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(effects.count(id) ? effects.at(id) : 0, 1) << id;
}

TEST_F(Replicas, AStalledReplicasLateWritesAreRefusedAndTheSurvivorsStateStands) {
  Start(2);
  const std::string id = Create(At(0), 2000);
  // A stalls past its lease; B takes the operation over and finishes it.
  At(0).Pause();
  auto finished = WaitTerminalOn(At(1), id);
  ASSERT_EQ(Str(finished.at("status")), "Succeeded") << At(1).Log();
  const std::string result = Send(At(1), "GET", "/v1/operations/" + id + "/result").body;
  // A wakes up: its lease is gone, so what it still does for the operation is refused.
  At(0).Resume();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto noticed = [&] {
    const std::string log = At(0).Log();
    return log.find("lease lost") != std::string::npos ||
           log.find("was refused") != std::string::npos;
  };
  while (!noticed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(noticed()) << "A " << At(0).Describe() << ":\n"
                         << At(0).Log() << "B:\n"
                         << At(1).Log();
  // Both replicas show the survivor's final state.
  for (std::size_t i = 0; i < 2; ++i) {
    auto state = Send(At(i), "GET", "/v1/operations/" + id);
    EXPECT_EQ(Str(ParseJson(state.body).at("status")), "Succeeded");
    EXPECT_EQ(Send(At(i), "GET", "/v1/operations/" + id + "/result").body, result);
  }
  // The item was created once, whichever replica ran the last step.
  EXPECT_EQ(Effects(), (std::map<std::string, int>{{id, 1}}));
}

TEST_F(Replicas, AGracefulStopHandsUnfinishedWorkOverAtOnce) {
  Start(2, "1h");  // so long that only the handover can move the work within the test
  const std::string id = Create(At(0), 3000);
  At(0).Signal(SIGTERM);
  auto finished = WaitTerminalOn(At(1), id);
  EXPECT_EQ(Str(finished.at("status")), "Succeeded") << At(1).Log();
}

TEST_F(Replicas, CancelAndDeleteReachTheReplicaRunningTheWork) {
  Start(2);
  const std::string first = Create(At(0), 3'600'000);
  const std::string second = Create(At(0), 3'600'000);
  auto cancel = Send(At(1), "POST", "/v1/operations/" + first + ":cancel");
  EXPECT_EQ(cancel.status, 200) << cancel.body;
  auto del = Send(At(1), "DELETE", "/v1/operations/" + second);
  EXPECT_TRUE(del.status == 200 || del.status == 202 || del.status == 204) << del.body;
  for (const auto& id : {first, second}) {
    auto finished = WaitTerminalOn(At(1), id);
    EXPECT_EQ(Str(finished.at("status")), "Failed") << boost::json::serialize(finished);
    EXPECT_EQ(Str(finished.at("error").at("errorCode")), "OperationCanceled");
    // The replica that ran it agrees.
    auto on_a = WaitTerminalOn(At(0), id);
    EXPECT_EQ(Str(on_a.at("error").at("errorCode")), "OperationCanceled");
  }
}

TEST_F(Replicas, ACancelWakesTheRunningReplicaByNotification) {
  // Leases of an hour: renewals (which would also bring the request) come every 20 minutes,
  // so only LISTEN/NOTIFY can bring the cancel to A within the test.
  Start(2, "1h");
  const std::string id = Create(At(0), 3'600'000);
  auto cancel = Send(At(1), "POST", "/v1/operations/" + id + ":cancel");
  EXPECT_EQ(cancel.status, 200) << cancel.body;
  auto finished = WaitTerminalOn(At(0), id);
  EXPECT_EQ(Str(finished.at("error").at("errorCode")), "OperationCanceled");
}

TEST_F(Replicas, OneIdempotencyKeyAtTwoReplicasMakesOneOperation) {
  Start(2);
  for (int round = 0; round < 5; ++round) {
    const std::string key = "key-" + internal::NewRequestId();
    std::array<HttpResponse, 2> responses;
    std::atomic<int> ready{0};
    auto send = [&](std::size_t i) {
      auto transport = MakeCurlTransport();
      ++ready;
      while (ready < 2) std::this_thread::yield();
      auto response =
          transport->Send({"POST",
                           At(i).Url(kItems),
                           {{"Content-Type", "application/json"}, {"Idempotency-Key", key}},
                           ItemBody("keyed", 200)},
                          {});
      ASSERT_TRUE(response.ok());
      responses[i] = *response;
    };
    std::thread a(send, 0);
    std::thread b(send, 1);
    a.join();
    b.join();
    std::set<std::string> ids;
    for (const auto& response : responses) {
      EXPECT_TRUE(response.status == 202 || response.status == 201 || response.status == 409)
          << response.status << " " << response.body;
      if (auto id = FindHeader(response.headers, "x-ms-operation-id")) ids.insert(std::string(*id));
    }
    EXPECT_EQ(ids.size(), 1U) << "round " << round;
    // Whichever replica is asked, the key names that one operation.
    auto again = Send(At(1), "POST", kItems, ItemBody("keyed", 200), {{"Idempotency-Key", key}});
    ASSERT_TRUE(FindHeader(again.headers, "x-ms-operation-id").has_value()) << again.body;
    EXPECT_EQ(ids.count(std::string(*FindHeader(again.headers, "x-ms-operation-id"))), 1U);
  }
  auto list = Send(At(0), "GET", "/v1/operations");
  ASSERT_EQ(list.status, 200);
  const auto value = ParseJson(list.body);
  EXPECT_EQ(value.at("value").as_array().size(), 5U) << list.body;
}

TEST_F(Replicas, TwoReplicasStartingAtOnceOnAnEmptyDatabaseShareOneSchema) {
  Start(2);  // both fork before either waits: they migrate at the same moment
  const std::string id = Create(At(1), 0);
  EXPECT_EQ(Str(WaitTerminalOn(At(0), id).at("status")), "Succeeded");
  EXPECT_EQ(At(0).Log().find("\"level\":\"error\""), std::string::npos) << At(0).Log();
  EXPECT_EQ(At(1).Log().find("\"level\":\"error\""), std::string::npos) << At(1).Log();
}

}  // namespace
}  // namespace lro::server::test
