// One contract, every store: what OperationStore promises (store.h) — conditional writes and
// conflicts, idempotency keys won by their first writer, leases (claim, renew, expiry,
// takeover, a fenced late write refused), cancel requests, purge, list paging — checked on the
// SQLite store always, and on PostgreSQL when LRO_TEST_POSTGRES holds a libpq conninfo
// (scripts/postgres-test-cluster.sh run -- … sets it). Each PostgreSQL test runs in a schema of
// its own, so tests may run in parallel on one database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <set>
#include <thread>

#include "lro/server/store.h"
#include "postgres_test_support.h"
#include "runtime/ids.h"
#include "server_test_support.h"

namespace lro::server {
namespace {

using test::TempDir;

// A store for one test, and whatever it needs cleaned up afterwards.
class StoreUnderTest {
 public:
  StoreUnderTest() = default;
  StoreUnderTest(const StoreUnderTest&) = delete;
  StoreUnderTest& operator=(const StoreUnderTest&) = delete;
  StoreUnderTest(StoreUnderTest&&) = delete;
  StoreUnderTest& operator=(StoreUnderTest&&) = delete;
  virtual ~StoreUnderTest() = default;
  // Another handle on the same data (a second replica); nullptr when the store has one.
  virtual std::shared_ptr<OperationStore> OpenAnother() = 0;
  std::shared_ptr<OperationStore> store;
};

class SqliteUnderTest final : public StoreUnderTest {
 public:
  SqliteUnderTest() {
    auto opened = OpenSqliteStore(dir_.File("ops.db"));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store = *opened;
  }
  std::shared_ptr<OperationStore> OpenAnother() override { return nullptr; }

 private:
  TempDir dir_;
};

class PostgresUnderTest final : public StoreUnderTest {
 public:
  PostgresUnderTest() { store = OpenAnother(); }
  ~PostgresUnderTest() override { store.reset(); }  // before the schema goes
  PostgresUnderTest(const PostgresUnderTest&) = delete;
  PostgresUnderTest& operator=(const PostgresUnderTest&) = delete;
  PostgresUnderTest(PostgresUnderTest&&) = delete;
  PostgresUnderTest& operator=(PostgresUnderTest&&) = delete;
  std::shared_ptr<OperationStore> OpenAnother() override {
    auto opened = OpenPostgresStore(schema_.conninfo());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? *opened : nullptr;
  }

 private:
  test::PostgresSchema schema_;
};

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StoreUnderTest>()> make;
  bool needs_postgres = false;
};

// gtest prints a parameter by its name, not its bytes.
void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    if (GetParam().needs_postgres && test::PostgresConninfo().empty()) {
      GTEST_SKIP() << "LRO_TEST_POSTGRES is not set (a libpq conninfo; "
                      "scripts/postgres-test-cluster.sh run -- ctest … sets it)";
    }
    under_test_ = GetParam().make();
    ASSERT_TRUE(under_test_->store);
    store_ = under_test_->store.get();
  }
  void TearDown() override {
    store_ = nullptr;
    under_test_.reset();
  }

  std::unique_ptr<StoreUnderTest> under_test_;
  OperationStore* store_ = nullptr;
};

// A fresh UUID: ids must not collide with other tests on a shared database.
std::string NewId() { return internal::NewOperationId(); }

OperationRecord Record(std::string id, std::string principal, std::int64_t created,
                       OperationStatus status = OperationStatus::kRunning) {
  OperationRecord r;
  r.id = std::move(id);
  r.principal = std::move(principal);
  r.type = "Item.Create";
  r.status = status;
  r.created_ms = created;
  r.updated_ms = created;
  r.owner = "replica-a";
  r.lease_expires_ms = created + 1000;
  r.attempts = 1;
  return r;
}

StoreWrite Insert(OperationRecord record, std::optional<KeyRecord> key = std::nullopt) {
  return StoreWrite{StoreWrite::Kind::kInsert, std::move(record), std::move(key), 0};
}

StoreWrite Update(OperationRecord record, std::int64_t expected_version) {
  return StoreWrite{StoreWrite::Kind::kUpdate, std::move(record), std::nullopt, expected_version};
}

std::vector<WriteOutcome> MustCommit(OperationStore& store, const std::vector<StoreWrite>& writes) {
  auto outcome = store.Commit(writes);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  if (!outcome.ok()) return {};
  EXPECT_EQ(outcome->size(), writes.size());
  return *outcome;
}

OperationRecord MustGet(OperationStore& store, const std::string& id, bool with_result = false) {
  auto got = store.Get(id, with_result);
  EXPECT_TRUE(got.ok() && got->has_value()) << id;
  return got.ok() && got->has_value() ? **got : OperationRecord{};
}

TEST_P(StoreConformance, InsertThenGetReturnsEveryField) {
  OperationRecord r = Record(NewId(), "alice", 1000, OperationStatus::kFailed);
  r.percent_complete = 40;
  r.expires_ms = 5000;
  r.error = ErrorInfo{"Boom", "it broke", {{"Detail", "why", "res-1", "Item"}}, true};
  r.request = R"({"method":"POST"})";
  r.next_run_ms = 1500;
  OperationRecord s = Record(NewId(), "alice", 1001, OperationStatus::kSucceeded);
  s.has_result = true;
  s.result_content_type = "application/octet-stream";
  s.result = std::string("\0\x01\x02 bytes\xff", 10);
  auto outcomes = MustCommit(*store_, {Insert(r), Insert(s)});
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_EQ(outcomes[0].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(outcomes[0].version, 1);

  OperationRecord expected = r;
  expected.request.clear();  // Get does not return the request
  expected.version = 1;
  EXPECT_EQ(MustGet(*store_, r.id, true), expected);
  OperationRecord b = MustGet(*store_, s.id, true);
  EXPECT_EQ(b.result, s.result);
  EXPECT_EQ(b.result_content_type, "application/octet-stream");
  OperationRecord b_light = MustGet(*store_, s.id, false);
  EXPECT_TRUE(b_light.has_result);
  EXPECT_TRUE(b_light.result.empty());
  auto missing = store_->Get(NewId(), false);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreConformance, AnUpdateAppliesOnlyFromTheCurrentVersion) {
  const std::string id = NewId();
  MustCommit(*store_, {Insert(Record(id, "alice", 1000))});
  OperationRecord done = Record(id, "alice", 1000, OperationStatus::kSucceeded);
  done.updated_ms = 2000;
  done.expires_ms = 9000;
  done.percent_complete = 100;
  done.has_result = true;
  done.result_content_type = "application/json";
  done.result = R"({"ok":true})";
  auto first = MustCommit(*store_, {Update(done, 1)});
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(first[0].version, 2);

  // A writer still holding version 1 is refused, and changes nothing.
  OperationRecord late = Record(id, "alice", 1000, OperationStatus::kFailed);
  late.updated_ms = 3000;
  auto second = MustCommit(*store_, {Update(late, 1)});
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].kind, WriteOutcome::Kind::kConflict);
  OperationRecord now = MustGet(*store_, id, true);
  EXPECT_EQ(now.status, OperationStatus::kSucceeded);
  EXPECT_EQ(now.version, 2);
  EXPECT_EQ(now.updated_ms, 2000);
  EXPECT_EQ(now.result, R"({"ok":true})");
  EXPECT_EQ(now.principal, "alice");
  EXPECT_EQ(now.created_ms, 1000);

  // An unknown operation is a conflict too (it was purged, or never existed).
  auto unknown = MustCommit(*store_, {Update(Record(NewId(), "alice", 1), 1)});
  ASSERT_EQ(unknown.size(), 1U);
  EXPECT_EQ(unknown[0].kind, WriteOutcome::Kind::kConflict);
}

TEST_P(StoreConformance, AConflictInABatchDoesNotStopTheOtherWrites) {
  const std::string a = NewId();
  const std::string b = NewId();
  MustCommit(*store_, {Insert(Record(a, "alice", 1)), Insert(Record(b, "alice", 2))});
  const std::string c = NewId();
  auto outcomes =
      MustCommit(*store_, {Update(Record(a, "alice", 1, OperationStatus::kSucceeded), 7),
                           Update(Record(b, "alice", 2, OperationStatus::kSucceeded), 1),
                           Insert(Record(c, "alice", 3))});
  ASSERT_EQ(outcomes.size(), 3U);
  EXPECT_EQ(outcomes[0].kind, WriteOutcome::Kind::kConflict);
  EXPECT_EQ(outcomes[1].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(outcomes[2].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(MustGet(*store_, a).status, OperationStatus::kRunning);
  EXPECT_EQ(MustGet(*store_, b).status, OperationStatus::kSucceeded);
  EXPECT_EQ(MustGet(*store_, c).version, 1);
}

TEST_P(StoreConformance, AFailedCommitAppliesNothing) {
  const std::string a = NewId();
  MustCommit(*store_, {Insert(Record(a, "alice", 1))});
  const std::string b = NewId();
  // The second insert collides: the first of the batch must not stay.
  EXPECT_FALSE(store_->Commit({Insert(Record(b, "alice", 2)), Insert(Record(a, "alice", 3))}).ok());
  auto got = store_->Get(b, false);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // And the store still works.
  EXPECT_EQ(MustCommit(*store_, {Insert(Record(NewId(), "alice", 4))}).size(), 1U);
}

TEST_P(StoreConformance, AKeyIsWonByItsFirstWriterAndTheOthersLearnTheWinner) {
  const std::string key = "k-" + NewId();
  const std::string first = NewId();
  KeyRecord k{"alice", KeyKind::kIdempotencyKey, key, "fp-1", first, 10'000};
  auto won = MustCommit(*store_, {Insert(Record(first, "alice", 100), k)});
  ASSERT_EQ(won.size(), 1U);
  EXPECT_EQ(won[0].kind, WriteOutcome::Kind::kApplied);

  // A second operation with the same key, in a later batch and in the same batch.
  const std::string second = NewId();
  const std::string third = NewId();
  KeyRecord k2 = k;
  k2.fingerprint = "fp-2";
  k2.operation_id = second;
  KeyRecord k3 = k;
  k3.operation_id = third;
  auto lost = MustCommit(
      *store_, {Insert(Record(second, "alice", 200), k2), Insert(Record(third, "alice", 200), k3)});
  ASSERT_EQ(lost.size(), 2U);
  for (const auto& outcome : lost) {
    EXPECT_EQ(outcome.kind, WriteOutcome::Kind::kKeyTaken);
    ASSERT_TRUE(outcome.key_holder);
    EXPECT_EQ(outcome.key_holder->operation_id, first);
    EXPECT_EQ(outcome.key_holder->fingerprint, "fp-1");
  }
  EXPECT_FALSE(store_->Get(second, false)->has_value());  // neither was written
  EXPECT_FALSE(store_->Get(third, false)->has_value());
  auto found = store_->FindKey("alice", KeyKind::kIdempotencyKey, key);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, k);
  // Keys are scoped by principal and kind.
  EXPECT_FALSE(store_->FindKey("bob", KeyKind::kIdempotencyKey, key)->has_value());
  EXPECT_FALSE(store_->FindKey("alice", KeyKind::kOperationId, key)->has_value());
  KeyRecord bobs = k;
  bobs.principal = "bob";
  bobs.operation_id = NewId();
  EXPECT_EQ(MustCommit(*store_, {Insert(Record(bobs.operation_id, "bob", 300), bobs)})[0].kind,
            WriteOutcome::Kind::kApplied);
}

TEST_P(StoreConformance, AnExpiredKeyIsTakenByTheNextWriter) {
  const std::string key = "k-" + NewId();
  KeyRecord old{"alice", KeyKind::kRepeatabilityRequestId, key, "fp", NewId(), 500};
  MustCommit(*store_, {Insert(Record(old.operation_id, "alice", 100), old)});
  KeyRecord fresh = old;
  fresh.operation_id = NewId();
  fresh.expires_ms = 5000;
  auto outcome = MustCommit(*store_, {Insert(Record(fresh.operation_id, "alice", 600), fresh)});
  ASSERT_EQ(outcome.size(), 1U);
  EXPECT_EQ(outcome[0].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(store_->FindKey("alice", KeyKind::kRepeatabilityRequestId, key)->value().operation_id,
            fresh.operation_id);
}

TEST_P(StoreConformance, TwoWritersRacingForOneKeyMakeOneOperation) {
  // Two handles on one database where the store allows it (two replicas), else one.
  std::shared_ptr<OperationStore> other = under_test_->OpenAnother();
  OperationStore& second = other ? *other : *store_;
  for (int round = 0; round < 10; ++round) {
    const std::string key = "race-" + NewId();
    std::array<std::string, 2> ids{NewId(), NewId()};
    std::array<WriteOutcome, 2> outcomes;
    std::atomic<int> ready{0};
    auto race = [&](int i, OperationStore& store) {
      KeyRecord k{"alice", KeyKind::kIdempotencyKey, key, "fp", ids[i], 100'000};
      ++ready;
      while (ready < 2) std::this_thread::yield();
      auto outcome = store.Commit({Insert(Record(ids[i], "alice", 1000 + i), k)});
      ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
      outcomes[i] = outcome->front();
    };
    std::thread a(race, 0, std::ref(*store_));
    std::thread b(race, 1, std::ref(second));
    a.join();
    b.join();
    const int winners = (outcomes[0].kind == WriteOutcome::Kind::kApplied ? 1 : 0) +
                        (outcomes[1].kind == WriteOutcome::Kind::kApplied ? 1 : 0);
    ASSERT_EQ(winners, 1) << "round " << round;
    const int winner = outcomes[0].kind == WriteOutcome::Kind::kApplied ? 0 : 1;
    const WriteOutcome& loser = outcomes[1 - winner];
    EXPECT_EQ(loser.kind, WriteOutcome::Kind::kKeyTaken);
    ASSERT_TRUE(loser.key_holder);
    EXPECT_EQ(loser.key_holder->operation_id, ids[winner]);
    EXPECT_TRUE(store_->Get(ids[winner], false)->has_value());
    EXPECT_FALSE(store_->Get(ids[1 - winner], false)->has_value());
  }
}

TEST_P(StoreConformance, ALiveLeaseIsNotClaimedAnExpiredOneIsTakenOverAndTheOldOwnerFenced) {
  const std::string id = NewId();
  OperationRecord r = Record(id, "alice", 1000);  // replica-a, lease until 2000
  r.request = "replay me";
  MustCommit(*store_, {Insert(r)});

  // Alive: nobody else gets it.
  auto early = store_->Claim(ClaimQuery{"replica-b", 1500, 1000, 10, false});
  ASSERT_TRUE(early.ok());
  for (const auto& claimed : *early) EXPECT_NE(claimed.id, id);

  // Its owner's lease (one for everything it runs) keeps it alive past its own. The first
  // renewal finds no lease before it, so it lists everything the owner holds.
  auto renewed = store_->RenewLease("replica-a", 3000, 1600);
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(renewed->complete);
  ASSERT_EQ(renewed->operations.size(), 1U);
  EXPECT_EQ(renewed->operations[0].id, id);
  EXPECT_EQ(renewed->operations[0].version, 1);  // a renewal does not move the version
  EXPECT_FALSE(renewed->operations[0].cancel_requested);
  EXPECT_EQ(MustGet(*store_, id).lease_expires_ms, 2000);  // nor the operation's row
  auto still = store_->Claim(ClaimQuery{"replica-b", 2500, 1000, 10, false});
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(still->empty());
  // A renewal on time (the previous lease ends after full_check_before_ms) lists only the
  // operations with a cancel request: none.
  auto on_time = store_->RenewLease("replica-a", 3000, 2600);
  ASSERT_TRUE(on_time.ok());
  EXPECT_FALSE(on_time->complete);
  EXPECT_TRUE(on_time->operations.empty());

  // Expired: replica-b takes it over, with its request, a new version and one more attempt.
  auto taken = store_->Claim(ClaimQuery{"replica-b", 3000, 1000, 10, false});
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 1U);
  const OperationRecord& claimed = taken->front();
  EXPECT_EQ(claimed.id, id);
  EXPECT_EQ(claimed.owner, "replica-b");
  EXPECT_EQ(claimed.lease_expires_ms, 4000);
  EXPECT_EQ(claimed.version, 2);
  EXPECT_EQ(claimed.attempts, 2);
  EXPECT_EQ(claimed.request, "replay me");

  // replica-a, back from a pause, writes from the version it held: refused.
  OperationRecord late = r;
  late.status = OperationStatus::kSucceeded;
  auto fenced = MustCommit(*store_, {Update(late, 1)});
  ASSERT_EQ(fenced.size(), 1U);
  EXPECT_EQ(fenced[0].kind, WriteOutcome::Kind::kConflict);
  // Its late renewal lists everything it still owns: no longer that one. The new owner's
  // lists it, at the version the claim made.
  auto late_renewal = store_->RenewLease("replica-a", 9000, 8000);
  ASSERT_TRUE(late_renewal.ok());
  EXPECT_TRUE(late_renewal->complete);
  EXPECT_TRUE(late_renewal->operations.empty());
  auto theirs = store_->RenewLease("replica-b", 4500, 3500);
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->complete);
  ASSERT_EQ(theirs->operations.size(), 1U);
  EXPECT_EQ(theirs->operations[0].version, 2);
  // The new owner's writes go through, and a finished operation is never claimed.
  OperationRecord finished = claimed;
  finished.status = OperationStatus::kFailed;
  EXPECT_EQ(MustCommit(*store_, {Update(finished, 2)})[0].kind, WriteOutcome::Kind::kApplied);
  EXPECT_EQ(MustGet(*store_, id).status, OperationStatus::kFailed);
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-c", 100'000, 1000, 10, false})->empty());
  auto after_end = store_->RenewLease("replica-b", 5000, 5000);
  ASSERT_TRUE(after_end.ok());
  EXPECT_TRUE(after_end->complete);
  EXPECT_TRUE(after_end->operations.empty());
}

TEST_P(StoreConformance, AReplicaRenewsOneLeaseForAllItsWorkAndIsToldOnlyOfCancelRequests) {
  std::vector<StoreWrite> writes;
  std::vector<std::string> ids;
  const std::string owner = "replica-" + NewId();  // a replica of its own: no earlier lease
  for (int i = 0; i < 50; ++i) {
    OperationRecord r = Record(NewId(), "alice", 1000 + i);  // own leases until 2000–2049
    r.owner = owner;
    ids.push_back(r.id);
    writes.push_back(Insert(r));
  }
  MustCommit(*store_, writes);
  auto first = store_->RenewLease(owner, 5000, 1500);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->complete);
  EXPECT_EQ(first->operations.size(), ids.size());
  ASSERT_TRUE(*store_->RequestCancel(ids[3]));
  ASSERT_TRUE(*store_->RequestCancel(ids[7]));
  auto next = store_->RenewLease(owner, 8000, 4000);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->complete);
  std::set<std::string> told;
  for (const auto& state : next->operations) {
    EXPECT_TRUE(state.cancel_requested);
    EXPECT_EQ(state.version, 1);
    told.insert(state.id);
  }
  EXPECT_EQ(told, (std::set<std::string>{ids[3], ids[7]}));
  // Every operation stays as inserted (version, own lease): the renewal wrote one row.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const OperationRecord r = MustGet(*store_, ids[i]);
    EXPECT_EQ(r.version, 1);
    EXPECT_EQ(r.lease_expires_ms, 2000 + static_cast<std::int64_t>(i));
  }
  // Held until the owner's lease ends (8000), then all claimable.
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-z", 7999, 1000, 100, false})->empty());
  auto taken = store_->Claim(ClaimQuery{"replica-z", 8000, 1000, 100, false});
  ASSERT_TRUE(taken.ok());
  std::set<std::string> claimed;
  for (const auto& r : *taken) {
    if (r.owner == "replica-z" && r.attempts == 2) claimed.insert(r.id);
  }
  for (const auto& id : ids) EXPECT_TRUE(claimed.contains(id)) << id;
}

TEST_P(StoreConformance, ARestartedReplicaReclaimsItsOwnWorkAtOnce) {
  const std::string id = NewId();
  MustCommit(*store_, {Insert(Record(id, "alice", 1000))});  // replica-a until 2000
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-a", 1100, 1000, 10, 0})->empty());
  // Restarted at 1100 with a 1000 ms lease: what its predecessor held expires before 2100.
  const ClaimQuery restart{"replica-a", 1100, 1000, 10, 2100};
  auto own = store_->Claim(restart);
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1U);
  EXPECT_EQ(own->front().version, 2);
  // Its own claim expires at 2100: another pass of the restart takes nothing back (each pass
  // would count one more attempt).
  EXPECT_TRUE(store_->Claim(restart)->empty());
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-a", 1150, 1000, 10, 2100})->empty());
  // Reclaiming one's own does not reach a peer's live work.
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-b", 1200, 1000, 10, 2200})->empty());
}

TEST_P(StoreConformance, AnUnownedOperationIsClaimedWhenItsNextRunIsDue) {
  const std::string id = NewId();
  OperationRecord parked = Record(id, "alice", 1000);
  parked.owner.clear();
  parked.lease_expires_ms.reset();
  parked.next_run_ms = 5000;
  MustCommit(*store_, {Insert(parked)});
  EXPECT_TRUE(store_->Claim(ClaimQuery{"replica-b", 4999, 1000, 10, false})->empty());
  auto due = store_->Claim(ClaimQuery{"replica-b", 5000, 1000, 10, false});
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1U);
  EXPECT_EQ(due->front().owner, "replica-b");
}

TEST_P(StoreConformance, ConcurrentClaimersNeverShareAnOperation) {
  std::vector<StoreWrite> writes;
  std::set<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    OperationRecord r = Record(NewId(), "alice", 1000 + i);
    r.lease_expires_ms = 1500;
    ids.insert(r.id);
    writes.push_back(Insert(r));
  }
  MustCommit(*store_, writes);
  std::shared_ptr<OperationStore> other = under_test_->OpenAnother();
  OperationStore& second = other ? *other : *store_;
  std::array<std::vector<std::string>, 2> got;
  auto claim = [&](int i, OperationStore& store) {
    for (;;) {
      auto claimed =
          store.Claim(ClaimQuery{"claimer-" + std::to_string(i), 2000, 60'000, 7, false});
      ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
      if (claimed->empty()) return;
      for (const auto& r : *claimed) got[i].push_back(r.id);
    }
  };
  std::thread a(claim, 0, std::ref(*store_));
  std::thread b(claim, 1, std::ref(second));
  a.join();
  b.join();
  std::multiset<std::string> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  std::size_t ours = 0;
  for (const auto& id : ids) {
    EXPECT_EQ(all.count(id), 1U) << id;
    ours += all.count(id);
  }
  EXPECT_EQ(ours, ids.size());
}

TEST_P(StoreConformance, ACancelRequestIsPersistedWithoutMovingTheVersion) {
  const std::string running = NewId();
  const std::string done = NewId();
  MustCommit(*store_, {Insert(Record(running, "alice", 1)),
                       Insert(Record(done, "alice", 2, OperationStatus::kSucceeded))});
  auto requested = store_->RequestCancel(running);
  ASSERT_TRUE(requested.ok());
  EXPECT_TRUE(*requested);
  EXPECT_TRUE(*store_->RequestCancel(running));  // again: still recorded
  EXPECT_FALSE(*store_->RequestCancel(done));
  EXPECT_FALSE(*store_->RequestCancel(NewId()));
  OperationRecord r = MustGet(*store_, running);
  EXPECT_TRUE(r.cancel_requested);
  EXPECT_EQ(r.version, 1);
  EXPECT_FALSE(MustGet(*store_, done).cancel_requested);
  // Its owner learns it with its next renewal.
  auto renewed = store_->RenewLease("replica-a", 50, 0);
  ASSERT_TRUE(renewed.ok());
  ASSERT_FALSE(renewed->operations.empty());
  bool told = false;
  for (const auto& state : renewed->operations) {
    if (state.id == running) told = state.cancel_requested;
  }
  EXPECT_TRUE(told);
  // And so does whoever takes it over (once its own lease and its owner's ended).
  auto taken = store_->Claim(ClaimQuery{"replica-b", 2000, 1000, 10, false});
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 1U);
  EXPECT_TRUE(taken->front().cancel_requested);
}

TEST_P(StoreConformance, PurgeDeletesOnlyExpiredOperationsAndKeysInBatches) {
  // Expiry times far in the past of every other test's data, yet shared with none.
  std::vector<StoreWrite> writes;
  std::vector<std::string> expired;
  const std::string principal = "purge-" + NewId();
  for (int i = 0; i < 5; ++i) {
    auto r = Record(NewId(), principal, i, OperationStatus::kSucceeded);
    r.expires_ms = 100 + i;
    expired.push_back(r.id);
    writes.push_back(Insert(r));
  }
  const std::string running = NewId();
  writes.push_back(Insert(Record(running, principal, 1)));
  const std::string keyed = NewId();
  StoreWrite keyed_write =
      Insert(Record(keyed, principal, 1, OperationStatus::kSucceeded),
             KeyRecord{principal, KeyKind::kIdempotencyKey, "k", "fp", keyed, 50});
  keyed_write.record.expires_ms = 10'000'000'000'000;
  writes.push_back(keyed_write);
  MustCommit(*store_, writes);

  std::size_t purged = 0;
  for (int pass = 0; pass < 100 && purged < 5; ++pass) {
    auto batch = store_->PurgeExpired(1000, 2);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_LE(*batch, 2U);
    purged += *batch;
  }
  for (const auto& id : expired) EXPECT_FALSE(store_->Get(id, false)->has_value()) << id;
  EXPECT_TRUE(store_->Get(running, false)->has_value());
  EXPECT_TRUE(store_->Get(keyed, false)->has_value());
  for (int pass = 0; pass < 100; ++pass) {
    if (!store_->FindKey(principal, KeyKind::kIdempotencyKey, "k")->has_value()) break;
    ASSERT_TRUE(store_->PurgeExpired(1000, 100).ok());
  }
  EXPECT_FALSE(store_->FindKey(principal, KeyKind::kIdempotencyKey, "k")->has_value());
}

// The ids `query` lists, page after page (query.limit each); `between` runs between two pages.
std::vector<std::string> PageThrough(OperationStore& store, ListQuery query,
                                     const std::function<void()>& between = {}) {
  std::vector<std::string> seen;
  for (int page_number = 0; page_number < 100; ++page_number) {
    auto page = store.List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    EXPECT_LE(page->operations.size(), query.limit);
    for (const auto& r : page->operations) seen.push_back(r.id);
    if (!page->more) break;
    query.after = std::pair{page->operations.back().created_ms, page->operations.back().id};
    if (between) between();
  }
  return seen;
}

TEST_P(StoreConformance, ListFiltersByCallerStatusAndTypeAndPages) {
  const std::string alice = "list-" + NewId();
  std::vector<StoreWrite> writes;
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    auto r = Record(NewId(), alice, 100 + i,
                    i % 2 == 0 ? OperationStatus::kRunning : OperationStatus::kSucceeded);
    if (i == 6) r.type = "Other";
    ids.push_back(r.id);
    writes.push_back(Insert(r));
  }
  // Two created in the same millisecond: ordered by id.
  auto same1 = Record("00000000-0000-4000-8000-000000000001", alice, 200);
  auto same2 = Record("00000000-0000-4000-8000-000000000002", alice, 200);
  same1.id = NewId();
  same2.id = NewId();
  if (same2.id < same1.id) std::swap(same1.id, same2.id);
  ids.push_back(same1.id);
  ids.push_back(same2.id);
  writes.push_back(Insert(same2));
  writes.push_back(Insert(same1));
  writes.push_back(Insert(Record(NewId(), "bob-" + alice, 100)));
  auto expired = Record(NewId(), alice, 50, OperationStatus::kSucceeded);
  expired.expires_ms = 10;
  writes.push_back(Insert(expired));
  MustCommit(*store_, writes);

  ListQuery query;
  query.principal = alice;
  query.now_ms = 1000;
  query.limit = 3;
  EXPECT_EQ(PageThrough(*store_, query), ids);

  ListQuery running;
  running.principal = alice;
  running.now_ms = 1000;
  running.status = OperationStatus::kRunning;
  running.type = "Item.Create";
  auto page = store_->List(running);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->operations.size(), 5U);  // 0, 2, 4 and the two at 200 (6 is of another type)
  EXPECT_FALSE(page->more);
}

TEST_P(StoreConformance, ListNewestFirstPagesBackwardsWhileNewOperationsArrive) {
  const std::string alice = "newest-" + NewId();
  std::vector<StoreWrite> writes;
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 7; ++i) {
    auto r = Record(NewId(), alice, 100 + i / 2,  // pairs share a millisecond: id breaks ties
                    i % 3 == 0 ? OperationStatus::kRunning : OperationStatus::kSucceeded);
    writes.push_back(Insert(r));
    ids.push_back(r.id);
  }
  std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    auto created = [&](const std::string& id) {
      for (const auto& w : writes) {
        if (w.record.id == id) return w.record.created_ms;
      }
      return std::int64_t{0};
    };
    return std::pair{created(a), a} < std::pair{created(b), b};
  });
  writes.push_back(Insert(Record(NewId(), "bob-" + alice, 500)));
  MustCommit(*store_, writes);

  ListQuery query;
  query.principal = alice;
  query.now_ms = 1000;
  query.limit = 3;
  query.newest_first = true;
  std::string arrived;
  const auto seen = PageThrough(*store_, query, [&] {
    if (!arrived.empty()) return;
    // A newer operation arrives between two pages: it is on a first page, not on the next.
    auto r = Record(NewId(), alice, 900);
    arrived = r.id;
    MustCommit(*store_, {Insert(r)});
  });
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));

  // The display name is stored with the insert and listed.
  auto named = Record(NewId(), alice, 950);
  named.display_name = "Quarterly <report> \xc3\xa9";
  MustCommit(*store_, {Insert(named)});
  auto got = store_->Get(named.id, false);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->display_name, named.display_name);

  ListQuery first;
  first.principal = alice;
  first.now_ms = 1000;
  first.limit = 1;
  first.newest_first = true;
  auto page = store_->List(first);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->operations.size(), 1U);
  EXPECT_EQ(page->operations[0].id, named.id);
  EXPECT_EQ(page->operations[0].display_name, named.display_name);
  EXPECT_TRUE(page->more);

  first.limit = 10;
  first.status = OperationStatus::kRunning;
  page = store_->List(first);
  ASSERT_TRUE(page.ok());
  std::vector<std::string> running;
  for (const auto& r : page->operations) running.push_back(r.id);
  // Record's default status is Running.
  std::vector<std::string> expected{named.id, arrived};
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    for (const auto& w : writes) {
      if (w.record.id == *it && w.record.status == OperationStatus::kRunning) {
        expected.push_back(*it);
      }
    }
  }
  EXPECT_EQ(running, expected);
}

TEST_P(StoreConformance, CountsByStatus) {
  MustCommit(*store_, {Insert(Record(NewId(), "alice", 1, OperationStatus::kCanceled))});
  auto counts = store_->CountByStatus();
  ASSERT_TRUE(counts.ok());
  bool canceled = false;
  for (const auto& [status, count] : *counts) {
    if (status == OperationStatus::kCanceled) canceled = count >= 1;
  }
  EXPECT_TRUE(canceled);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformance,
    ::testing::Values(
        StoreFactory{"Sqlite", [] { return std::make_unique<SqliteUnderTest>(); }, false},
        StoreFactory{"Postgres", [] { return std::make_unique<PostgresUnderTest>(); }, true}),
    FactoryName);

}  // namespace
}  // namespace lro::server
