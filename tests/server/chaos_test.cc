// Chaos: clients create and poll operations on the real lrod while the test kills it with
// SIGKILL again and again and restarts it on the same store (SQLite; PostgreSQL too when
// LRO_TEST_POSTGRES is set). The moments are chosen by a seeded PRNG, counted in answers the
// clients received since the last restart (never in time), so a run repeats itself as far as
// the test decides. Afterwards every operation that got a 202 is readable and ended the way it
// asked to, nothing is listed twice or unexplained, and every creation replayed with its
// idempotency key after a kill named its first operation.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lrod_process.h"
#include "postgres_test_support.h"
#include "server_test_support.h"
#include "wire/http_date.h"

namespace lro::server::test {
namespace {

constexpr int kKills = 30;
constexpr unsigned kClients = 3;
constexpr unsigned kSeed = 20261206;

// A creation sent with an idempotency key whose answer did not come (lrod was killed): sent
// again, with the same key and body, after the restart.
struct KeyedCreation {
  std::string key;
  bool repeatability = false;  // Repeatability-Request-ID (else Idempotency-Key)
  std::string first_sent;      // Repeatability-First-Sent of the first attempt
  std::string body;
  std::optional<std::string> id;  // the operation its first 202 named
};

struct Expectation {
  bool fails = false;
};

struct Figures {
  int kills = 0;
  int creations_sent = 0;
  int accepted = 0;  // distinct operations answered 202
  int lost_answers = 0;
  int lost_unkeyed = 0;
  int replays = 0;
  int replays_naming_first = 0;
  int polls = 0;
  int succeeded = 0;
  int failed = 0;
  std::size_t listed = 0;
};

// What the clients and the killer share.
class Chaos {
 public:
  // The lrod serving now: its generation and base URL; nullopt once the run is over. Waits
  // while lrod is down.
  std::optional<std::pair<int, std::string>> Current() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return over_ || up_; });
    if (over_) return std::nullopt;
    return std::pair{generation_, base_};
  }
  // A client's request failed on `generation`: waits for the next lrod (or the end).
  void WaitPast(int generation) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return over_ || generation_ > generation; });
  }
  void Up(std::string base) {
    std::lock_guard lock(mutex_);
    ++generation_;
    base_ = std::move(base);
    up_ = true;
    answers_this_generation_ = 0;
    changed_.notify_all();
  }
  void Down() {
    std::lock_guard lock(mutex_);
    up_ = false;
  }
  void Over() {
    std::lock_guard lock(mutex_);
    over_ = true;
    changed_.notify_all();
  }
  // An answer from lrod's `generation`.
  void Answered(int generation) {
    std::lock_guard lock(mutex_);
    if (generation == generation_) ++answers_this_generation_;
    changed_.notify_all();
  }
  // Waits until the current lrod has answered `count` requests (false after 30 s).
  bool WaitForAnswers(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30),
                             [&] { return answers_this_generation_ >= count; });
  }

  std::mutex results_mutex;
  std::map<std::string, Expectation> accepted;  // GUARDED_BY(results_mutex)
  Figures figures;                              // GUARDED_BY(results_mutex)
  std::vector<std::string> problems;            // GUARDED_BY(results_mutex)

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int generation_ = 0;               // GUARDED_BY(mutex_)
  std::string base_;                 // GUARDED_BY(mutex_)
  bool up_ = false;                  // GUARDED_BY(mutex_)
  bool over_ = false;                // GUARDED_BY(mutex_)
  int answers_this_generation_ = 0;  // GUARDED_BY(mutex_)
};

// One client: creates (some with keys), polls what it created, replays keyed creations whose
// answer a kill took.
class Client {
 public:
  Client(Chaos& chaos, unsigned index) : chaos_(chaos), index_(index), random_(kSeed + index) {
    CurlTransportOptions options;
    options.request_timeout = std::chrono::seconds(10);
    options.connect_timeout = std::chrono::seconds(5);
    transport_ = MakeCurlTransport(options);
  }

  void Run() {
    while (auto current = chaos_.Current()) {
      const auto& [generation, base] = *current;
      if (generation != generation_) {
        // A kill happened: keyed creations answered before it are sent once more.
        generation_ = generation;
        for (auto& creation : replay_after_kill_) replays_.push_back(std::move(creation));
        replay_after_kill_.clear();
      }
      bool ok = true;
      if (!replays_.empty()) {
        ok = Replay(generation, base);
      } else if (random_() % 3 != 0 || mine_.empty()) {
        ok = Create(generation, base);
      } else {
        ok = Poll(generation, base, mine_[random_() % mine_.size()]);
      }
      if (!ok) chaos_.WaitPast(generation);
    }
  }

  // After the last restart: what is still unresolved is replayed until answered.
  void ResolveOn(const std::string& base) {
    for (auto& creation : replay_after_kill_) replays_.push_back(std::move(creation));
    replay_after_kill_.clear();
    for (int attempt = 0; attempt < 5 && !replays_.empty(); ++attempt) Replay(-1, base);
    if (!replays_.empty()) Problem("a keyed creation got no answer from the final lrod");
  }

 private:
  bool Create(int generation, const std::string& base) {
    const int number = ++created_;
    const bool keyed = random_() % 3 == 0;
    // Keyed creations fail on purpose: a replay then always answers 202 naming the operation
    // (a replay of a succeeded one answers 201 with its result, which names none).
    const bool fails = keyed || random_() % 5 == 0;
    const int duration = static_cast<int>(random_() % 250);
    const std::string name = "c" + std::to_string(index_) + "-" + std::to_string(number);
    const std::string body = ItemBody(
        name, duration,
        fails ? R"("progressSteps":2,"failWith":{"errorCode":"Planned"})" : R"("progressSteps":2)");
    KeyedCreation creation;
    if (keyed) {
      creation.key = "key-" + name;
      creation.repeatability = number % 2 == 0;
      creation.first_sent = wire::ImfFixdate(std::chrono::system_clock::now());
      creation.body = body;
    }
    {
      std::lock_guard lock(chaos_.results_mutex);
      ++chaos_.figures.creations_sent;
    }
    auto response =
        transport_->Send({"POST", base + std::string(kItems), KeyHeaders(creation), body}, {});
    if (!response.ok()) {
      std::lock_guard lock(chaos_.results_mutex);
      ++chaos_.figures.lost_answers;
      if (keyed) {
        replays_.push_back(std::move(creation));
      } else {
        ++chaos_.figures.lost_unkeyed;
      }
      return false;
    }
    chaos_.Answered(generation);
    if (response->status != 202) {
      Problem("a creation answered " + std::to_string(response->status) + ": " + response->body);
      return true;
    }
    const std::string id =
        std::string(FindHeader(response->headers, "x-ms-operation-id").value_or(""));
    Accept(id, fails);
    if (keyed) {
      // Replayed after the next kill as well: it must name this operation.
      creation.id = id;
      replay_after_kill_.push_back(std::move(creation));
    }
    return true;
  }

  bool Replay(int generation, const std::string& base) {
    KeyedCreation& creation = replays_.back();
    auto response = transport_->Send(
        {"POST", base + std::string(kItems), KeyHeaders(creation), creation.body}, {});
    if (!response.ok()) return false;
    chaos_.Answered(generation);
    if (response->status != 202) {
      Problem("a replay answered " + std::to_string(response->status) + ": " + response->body);
      replays_.pop_back();
      return true;
    }
    const std::string id =
        std::string(FindHeader(response->headers, "x-ms-operation-id").value_or(""));
    {
      std::lock_guard lock(chaos_.results_mutex);
      ++chaos_.figures.replays;
      if (creation.id && *creation.id == id) ++chaos_.figures.replays_naming_first;
    }
    if (creation.id && *creation.id != id) {
      Problem("a replay of " + creation.key + " named " + id + ", its first answer " +
              *creation.id);
    }
    if (!creation.id) Accept(id, true);
    replays_.pop_back();
    return true;
  }

  bool Poll(int generation, const std::string& base, const std::string& id) {
    auto response = transport_->Send({"GET", base + "/v1/operations/" + id, {}, {}}, {});
    if (!response.ok()) return false;
    chaos_.Answered(generation);
    std::lock_guard lock(chaos_.results_mutex);
    ++chaos_.figures.polls;
    if (response->status != 200) {
      chaos_.problems.push_back("operation " + id + " answered " +
                                std::to_string(response->status) + " to a poll");
    }
    return true;
  }

  static Headers KeyHeaders(const KeyedCreation& creation) {
    Headers headers{{"Content-Type", "application/json"}};
    if (creation.key.empty()) return headers;
    if (creation.repeatability) {
      headers.push_back({"Repeatability-Request-ID", creation.key});
      headers.push_back({"Repeatability-First-Sent", creation.first_sent});
    } else {
      headers.push_back({"Idempotency-Key", creation.key});
    }
    return headers;
  }

  void Accept(const std::string& id, bool fails) {
    mine_.push_back(id);
    std::lock_guard lock(chaos_.results_mutex);
    if (chaos_.accepted.emplace(id, Expectation{fails}).second) ++chaos_.figures.accepted;
  }

  void Problem(std::string what) {
    std::lock_guard lock(chaos_.results_mutex);
    chaos_.problems.push_back(std::move(what));
  }

  Chaos& chaos_;
  unsigned index_;
  std::mt19937 random_;
  std::shared_ptr<HttpTransport> transport_;
  std::vector<std::string> mine_;
  std::vector<KeyedCreation> replays_;            // to send now
  std::vector<KeyedCreation> replay_after_kill_;  // answered: sent again after the next kill
  int generation_ = 0;
  int created_ = 0;
};

// Every listed operation, all pages.
std::vector<std::string> ListAll(HttpTransport& transport, const LrodProcess& lrod) {
  std::vector<std::string> ids;
  std::string next = "/v1/operations?top=1000";
  while (!next.empty()) {
    auto page = transport.Send({"GET", lrod.Url(next), {}, {}}, {});
    EXPECT_TRUE(page.ok() && page->status == 200);
    if (!page.ok() || page->status != 200) break;
    const auto body = ParseJson(page->body).as_object();
    for (const auto& entry : body.at("value").as_array()) ids.push_back(Str(entry.at("id")));
    next.clear();
    if (const auto* token = body.if_contains("continuationToken")) {
      next = "/v1/operations?top=1000&continuationToken=" + Str(*token);
    }
  }
  return ids;
}

// The status of `id` once terminal ("" if it did not end within the bound, or is not there).
std::string WaitTerminal(HttpTransport& transport, const LrodProcess& lrod, const std::string& id,
                         std::chrono::steady_clock::time_point deadline, std::string& body) {
  while (std::chrono::steady_clock::now() < deadline) {
    auto response = transport.Send({"GET", lrod.Url("/v1/operations/" + id), {}, {}}, {});
    if (!response.ok() || response->status != 200) return "";
    body = response->body;
    std::string status = Str(ParseJson(body).at("status"));
    if (status == "Succeeded" || status == "Failed") return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

void RunChaos(const std::string& store_name, const std::string& store,
              const std::vector<std::string>& lrod_args) {
  TempDir dir;
  Chaos chaos;
  std::vector<std::unique_ptr<Client>> clients;
  clients.reserve(kClients);
  for (unsigned i = 0; i < kClients; ++i) clients.push_back(std::make_unique<Client>(chaos, i));
  std::vector<std::thread> threads;
  threads.reserve(clients.size());
  for (auto& client : clients) threads.emplace_back([&client] { client->Run(); });

  std::mt19937 moments(kSeed);
  for (int kill = 0; kill < kKills; ++kill) {
    LrodProcess lrod(dir, "lrod-" + std::to_string(kill), store, lrod_args);
    ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
    chaos.Up(lrod.Url(""));
    // Killed after a number of answers the seeded PRNG picked: early in a restart (recovery
    // still running work) as well as later.
    const int answers = 1 + static_cast<int>(moments() % 60);
    const bool reached = chaos.WaitForAnswers(answers);
    chaos.Down();
    const int status = lrod.Signal(SIGKILL);
    ASSERT_TRUE(reached) << "lrod answered fewer than " << answers << " requests; " << lrod.Log();
    ASSERT_TRUE(WIFSIGNALED(status)) << lrod.Log();
    std::lock_guard lock(chaos.results_mutex);
    ++chaos.figures.kills;
  }
  chaos.Over();
  for (auto& thread : threads) thread.join();

  LrodProcess lrod(dir, "lrod-final", store, lrod_args);
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  for (auto& client : clients) client->ResolveOn(lrod.Url(""));

  auto transport = MakeCurlTransport();
  Figures& figures = chaos.figures;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& [id, expectation] : chaos.accepted) {
    std::string body;
    const std::string status = WaitTerminal(*transport, lrod, id, deadline, body);
    ASSERT_FALSE(status.empty()) << "operation " << id << " lost or never ended: " << body;
    if (expectation.fails) {
      EXPECT_EQ(status, "Failed") << body;
      EXPECT_NE(body.find("Planned"), std::string::npos) << body;
      ++figures.failed;
    } else {
      EXPECT_EQ(status, "Succeeded") << body;
      ++figures.succeeded;
    }
  }
  const std::vector<std::string> listed = ListAll(*transport, lrod);
  figures.listed = listed.size();
  const std::set<std::string> distinct(listed.begin(), listed.end());
  EXPECT_EQ(distinct.size(), listed.size()) << "an operation is listed twice";
  std::size_t unexplained = 0;
  for (const auto& [id, expectation] : chaos.accepted) {
    EXPECT_TRUE(distinct.contains(id)) << "operation " << id << " is not listed";
  }
  for (const auto& id : distinct) {
    if (chaos.accepted.contains(id)) continue;
    // A creation whose 202 a kill took: it may have committed. It ends like any other.
    ++unexplained;
    std::string body;
    EXPECT_FALSE(WaitTerminal(*transport, lrod, id, deadline, body).empty()) << id << body;
  }
  // Keyed creations made one operation each (their replays named it): the only operations
  // nobody was told about are unkeyed creations whose answer was lost.
  EXPECT_LE(unexplained, static_cast<std::size_t>(figures.lost_unkeyed));
  for (const auto& problem : chaos.problems) ADD_FAILURE() << problem;

  EXPECT_GE(figures.kills, kKills);
  std::printf(
      "chaos %s: %d kills; %d creations sent, %d operations accepted (202), %d answers lost "
      "(%d unkeyed), %d keyed replays (%d named the first operation's 202, the rest an "
      "operation whose 202 was lost), %d polls; outcomes: %d Succeeded, %d Failed as asked; "
      "listed %zu (%zu never answered)\n",
      store_name.c_str(), figures.kills, figures.creations_sent, figures.accepted,
      figures.lost_answers, figures.lost_unkeyed, figures.replays, figures.replays_naming_first,
      figures.polls, figures.succeeded, figures.failed, figures.listed, unexplained);
  std::fflush(stdout);
}

// Operations killed many times are re-run each time rather than failed after three starts.
const std::vector<std::string> kChaosArgs = {"--max-attempts=1000"};

TEST(Chaos, SigkillAtSeededMomentsLosesAndDuplicatesNothingOnSqlite) {
  TempDir dir;
  RunChaos("sqlite", "sqlite:" + dir.File("ops.db"), kChaosArgs);
}

TEST(Chaos, SigkillAtSeededMomentsLosesAndDuplicatesNothingOnPostgres) {
  if (PostgresConninfo().empty()) {
    GTEST_SKIP() << "LRO_TEST_POSTGRES is not set (scripts/postgres-test-cluster.sh run -- …)";
  }
  PostgresSchema schema;
  std::vector<std::string> args = kChaosArgs;
  // One name across restarts: each restart takes its own unfinished work back at once.
  args.push_back("--replica-id=chaos");
  RunChaos("postgres", schema.conninfo(), args);
}

}  // namespace
}  // namespace lro::server::test
