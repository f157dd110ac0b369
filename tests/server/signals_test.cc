// Signals to the real lrod with requests in flight. The test holds them: it takes the SQLite
// file's write lock itself, so creations lrod has received wait for their commit, unanswered,
// for as long as the test decides.
// - SIGTERM: the listening socket closes (new connections are refused) while the requests in
//   flight are still held; once released they are answered (202, Connection: close), lrod
//   exits 0, and after a restart every accepted operation is there.
// - A second SIGTERM while the first one's shutdown is still held: lrod exits at once (1);
//   what had been accepted is there after a restart, what had not was never stored.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lrod_process.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

// The write lock of a SQLite file, held from construction to Release (or destruction).
class WriteLock {
 public:
  explicit WriteLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 30'000);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  ~WriteLock() { Release(); }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  WriteLock(WriteLock&&) = delete;
  WriteLock& operator=(WriteLock&&) = delete;
  void Release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A count from lrod's /metrics (-1 when unreadable).
long Metric(const LrodProcess& lrod, const std::string& name) {
  auto response = MakeCurlTransport()->Send({"GET", lrod.Url("/metrics"), {}, {}}, {});
  if (!response.ok() || response->status != 200) return -1;
  const auto at = response->body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stol(response->body.substr(at + name.size() + 2));
}

// Polls `done` (every 5 ms, 30 s at most).
template <class Done>
bool Await(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The inode of the socket listening on 127.0.0.1:`port` (0 when none).
unsigned long ListeningInode(std::uint16_t port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, address, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    fields >> slot >> address >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (address == local && state == "0A") return inode;
  }
  return 0;
}

// Whether process `pid` still holds the socket `inode`.
bool Holds(pid_t pid, unsigned long inode) {
  const std::string wanted = "socket:[" + std::to_string(inode) + "]";
  std::error_code ec;
  for (const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (std::filesystem::read_symlink(fd.path(), ec).string() == wanted) return true;
  }
  return false;
}

struct Answer {
  int status = 0;  // 0: no answer (the connection failed)
  std::string connection;
  std::string id;
};

// Creations sent from threads of their own: they stay in flight while the test holds them.
class InFlight {
 public:
  InFlight(const LrodProcess& lrod, int count) : answers_(static_cast<std::size_t>(count)) {
    for (auto& answer : answers_) {
      threads_.emplace_back([&lrod, &answer] {
        CurlTransportOptions options;
        options.request_timeout = std::chrono::seconds(30);
        auto response = MakeCurlTransport(options)->Send({"POST",
                                                          lrod.Url(kItems),
                                                          {{"Content-Type", "application/json"}},
                                                          ItemBody("in-flight", 3'600'000)},
                                                         {});
        if (!response.ok()) return;
        answer.status = response->status;
        answer.connection = std::string(FindHeader(response->headers, "Connection").value_or(""));
        answer.id = std::string(FindHeader(response->headers, "x-ms-operation-id").value_or(""));
      });
    }
  }
  ~InFlight() { Join(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  InFlight(InFlight&&) = delete;
  InFlight& operator=(InFlight&&) = delete;
  const std::vector<Answer>& Join() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    return answers_;
  }

 private:
  std::vector<Answer> answers_;
  std::vector<std::thread> threads_;
};

// Operations created and answered before anything is held.
std::vector<std::string> CreateAccepted(const LrodProcess& lrod, int count) {
  std::vector<std::string> ids;
  auto transport = MakeCurlTransport();
  for (int i = 0; i < count; ++i) {
    auto created = transport->Send({"POST",
                                    lrod.Url(kItems),
                                    {{"Content-Type", "application/json"}},
                                    ItemBody("accepted", 3'600'000)},
                                   {});
    EXPECT_TRUE(created.ok() && created->status == 202);
    if (created.ok()) {
      ids.emplace_back(FindHeader(created->headers, "x-ms-operation-id").value_or(""));
    }
  }
  return ids;
}

// After a restart on `db`: exactly `ids` are stored, each readable.
void ExpectStoredExactly(const TempDir& dir, const std::string& db,
                         const std::vector<std::string>& ids) {
  LrodProcess lrod(dir, "restarted", "sqlite:" + db);
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  auto transport = MakeCurlTransport();
  for (const auto& id : ids) {
    auto state = transport->Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->status, 200) << "operation " << id << " lost";
  }
  auto list = transport->Send({"GET", lrod.Url("/v1/operations"), {}, {}}, {});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(ParseJson(list->body).at("value").as_array().size(), ids.size()) << list->body;
}

TEST(Signals, SigtermAnswersWhatIsInFlightRefusesNewConnectionsAndLosesNothing) {
  TempDir dir;
  const std::string db = dir.File("ops.db");
  LrodProcess lrod(dir, "lrod", "sqlite:" + db);
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  std::vector<std::string> accepted = CreateAccepted(lrod, 3);
  const unsigned long listening = ListeningInode(lrod.port());
  ASSERT_NE(listening, 0U);

  WriteLock lock(db);
  InFlight in_flight(lrod, 4);
  // Every creation has reached lrod (a count lrod reports), none can commit.
  ASSERT_TRUE(Await([&] { return Metric(lrod, "lrod_operations_created_total") == 7; }));

  lrod.Send(SIGTERM);
  // The listening socket closes while the creations are still held: new connections are
  // refused by the kernel from then on.
  ASSERT_TRUE(Await([&] { return !Holds(lrod.pid(), listening); })) << lrod.Log();

  lock.Release();
  for (const Answer& answer : in_flight.Join()) {
    EXPECT_EQ(answer.status, 202);
    EXPECT_EQ(answer.connection, "close");
    accepted.push_back(answer.id);
  }
  const int status = lrod.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << lrod.Log();
  ExpectStoredExactly(dir, db, accepted);
}

TEST(Signals, ASecondSigtermEndsAHeldShutdownAtOnce) {
  TempDir dir;
  const std::string db = dir.File("ops.db");
  LrodProcess lrod(dir, "lrod", "sqlite:" + db);
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  const std::vector<std::string> accepted = CreateAccepted(lrod, 2);

  WriteLock lock(db);
  InFlight in_flight(lrod, 2);
  ASSERT_TRUE(Await([&] { return Metric(lrod, "lrod_operations_created_total") == 4; }));
  lrod.Send(SIGTERM);
  // The first signal has been taken (its shutdown waits for the held creations) ...
  ASSERT_TRUE(Await([&] { return lrod.Log().find("\"shutting down\"") != std::string::npos; }))
      << lrod.Log();
  // ... and the second ends lrod while they are still held.
  lrod.Send(SIGTERM);
  const int status = lrod.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << lrod.Log();
  EXPECT_NE(lrod.Log().find("second signal: exiting now"), std::string::npos) << lrod.Log();
  for (const Answer& answer : in_flight.Join()) EXPECT_EQ(answer.status, 0);
  lock.Release();
  // The two accepted are there; the two never answered were never stored.
  ExpectStoredExactly(dir, db, accepted);
}

}  // namespace
}  // namespace lro::server::test
