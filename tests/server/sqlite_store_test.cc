// The SQLite store: what a Commit writes is what reads return, atomically and durably.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lro/server/store.h"
#include "server_test_support.h"

namespace lro::server {
namespace {

using test::TempDir;

OperationRecord Record(std::string id, std::string principal, std::int64_t created,
                       OperationStatus status = OperationStatus::kRunning) {
  OperationRecord r;
  r.id = std::move(id);
  r.principal = std::move(principal);
  r.type = "Item.Create";
  r.status = status;
  r.created_ms = created;
  r.updated_ms = created;
  return r;
}

StoreWrite Insert(OperationRecord record) {
  return StoreWrite{StoreWrite::Kind::kInsert, std::move(record), std::nullopt};
}

std::shared_ptr<OperationStore> Open(const TempDir& dir) {
  auto store = OpenSqliteStore(dir.File("ops.db"));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return *store;
}

TEST(SqliteStore, InsertThenGetReturnsEveryField) {
  TempDir dir;
  auto store = Open(dir);
  OperationRecord r = Record("a", "alice", 1000, OperationStatus::kFailed);
  r.percent_complete = 40;
  r.expires_ms = 5000;
  r.error = ErrorInfo{"Boom", "it broke", {{"Detail", "why", "res-1", "Item"}}, true};
  r.request = R"({"method":"POST"})";
  OperationRecord s = Record("b", "alice", 1001, OperationStatus::kSucceeded);
  s.has_result = true;
  s.result_content_type = "application/octet-stream";
  s.result = std::string("\0\x01\x02 bytes", 9);
  ASSERT_TRUE(store->Commit({Insert(r), Insert(s)}).ok());

  auto a = store->Get("a", true);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->has_value());
  OperationRecord expected = r;
  expected.request.clear();  // Get does not return the request
  expected.version = 1;      // every insert starts at version 1
  expected.attempts = 1;     // and its first attempt
  EXPECT_EQ(**a, expected);
  auto b = store->Get("b", true);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->result, s.result);
  EXPECT_EQ((*b)->result_content_type, "application/octet-stream");
  auto b_light = store->Get("b", false);
  ASSERT_TRUE(b_light.ok() && b_light->has_value());
  EXPECT_TRUE((*b_light)->has_result);
  EXPECT_TRUE((*b_light)->result.empty());
  auto missing = store->Get("nope", false);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(SqliteStore, UpdateChangesTheMutableFields) {
  TempDir dir;
  auto store = Open(dir);
  ASSERT_TRUE(store->Commit({Insert(Record("a", "alice", 1000))}).ok());
  OperationRecord update;
  update.id = "a";
  update.status = OperationStatus::kSucceeded;
  update.percent_complete = 100;
  update.updated_ms = 2000;
  update.expires_ms = 9000;
  update.has_result = true;
  update.result_content_type = "application/json";
  update.result = R"({"ok":true})";
  ASSERT_TRUE(store->Commit({StoreWrite{StoreWrite::Kind::kUpdate, update, std::nullopt, 1}}).ok());
  auto a = store->Get("a", true);
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->status, OperationStatus::kSucceeded);
  EXPECT_EQ((*a)->principal, "alice");
  EXPECT_EQ((*a)->created_ms, 1000);
  EXPECT_EQ((*a)->updated_ms, 2000);
  EXPECT_EQ((*a)->expires_ms, 9000);
  EXPECT_EQ((*a)->result, R"({"ok":true})");
}

TEST(SqliteStore, CommitIsAllOrNothing) {
  TempDir dir;
  auto store = Open(dir);
  ASSERT_TRUE(store->Commit({Insert(Record("a", "alice", 1))}).ok());
  // The second insert collides: the first of the batch must not stay.
  EXPECT_FALSE(
      store->Commit({Insert(Record("b", "alice", 2)), Insert(Record("a", "alice", 3))}).ok());
  auto b = store->Get("b", false);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  // And the store still works.
  EXPECT_TRUE(store->Commit({Insert(Record("c", "alice", 4))}).ok());
}

TEST(SqliteStore, ListFiltersByCallerStatusAndTypeAndPages) {
  TempDir dir;
  auto store = Open(dir);
  std::vector<StoreWrite> writes;
  for (int i = 0; i < 7; ++i) {
    auto r = Record("op" + std::to_string(i), "alice", 100 + i,
                    i % 2 == 0 ? OperationStatus::kRunning : OperationStatus::kSucceeded);
    if (i == 6) r.type = "Other";
    writes.push_back(Insert(r));
  }
  writes.push_back(Insert(Record("bob1", "bob", 100)));
  auto expired = Record("old", "alice", 50, OperationStatus::kSucceeded);
  expired.expires_ms = 10;
  writes.push_back(Insert(expired));
  ASSERT_TRUE(store->Commit(writes).ok());

  ListQuery query;
  query.principal = "alice";
  query.now_ms = 1000;
  query.limit = 3;
  std::vector<std::string> seen;
  for (;;) {
    auto page = store->List(query);
    ASSERT_TRUE(page.ok());
    for (const auto& r : page->operations) seen.push_back(r.id);
    if (!page->more) break;
    query.after = std::pair{page->operations.back().created_ms, page->operations.back().id};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"op0", "op1", "op2", "op3", "op4", "op5", "op6"}));

  ListQuery running;
  running.principal = "alice";
  running.now_ms = 1000;
  running.status = OperationStatus::kRunning;
  running.type = "Item.Create";
  auto page = store->List(running);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->operations.size(), 3U);  // op0, op2, op4 (op6 is of another type)
  EXPECT_FALSE(page->more);
}

TEST(SqliteStore, KeysAreFoundByCallerKindAndKey) {
  TempDir dir;
  auto store = Open(dir);
  StoreWrite write = Insert(Record("a", "alice", 1));
  write.key = KeyRecord{"alice", KeyKind::kIdempotencyKey, "k1", "fp", "a", 99};
  ASSERT_TRUE(store->Commit({write}).ok());
  auto found = store->FindKey("alice", KeyKind::kIdempotencyKey, "k1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, *write.key);
  EXPECT_FALSE(store->FindKey("bob", KeyKind::kIdempotencyKey, "k1")->has_value());
  EXPECT_FALSE(store->FindKey("alice", KeyKind::kOperationId, "k1")->has_value());
}

TEST(SqliteStore, PurgeDeletesOnlyExpiredOperationsInBatches) {
  TempDir dir;
  auto store = Open(dir);
  std::vector<StoreWrite> writes;
  for (int i = 0; i < 5; ++i) {
    auto r = Record("x" + std::to_string(i), "alice", i, OperationStatus::kSucceeded);
    r.expires_ms = 100 + i;
    writes.push_back(Insert(r));
  }
  writes.push_back(Insert(Record("running", "alice", 1)));
  StoreWrite keyed = Insert(Record("keyed", "alice", 1, OperationStatus::kSucceeded));
  keyed.record.expires_ms = 10'000;
  keyed.key = KeyRecord{"alice", KeyKind::kIdempotencyKey, "k", "fp", "keyed", 50};
  writes.push_back(keyed);
  ASSERT_TRUE(store->Commit(writes).ok());

  auto first = store->PurgeExpired(1000, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 2U);
  auto rest = store->PurgeExpired(1000, 100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 3U);
  EXPECT_TRUE(store->Get("running", false)->has_value());
  EXPECT_TRUE(store->Get("keyed", false)->has_value());
  EXPECT_FALSE(store->FindKey("alice", KeyKind::kIdempotencyKey, "k")->has_value());
}

TEST(SqliteStore, ClaimReturnsRunningAndNotStartedWithTheirRequest) {
  TempDir dir;
  auto store = Open(dir);
  auto running = Record("r", "alice", 1, OperationStatus::kRunning);
  running.request = "replay me";
  ASSERT_TRUE(
      store
          ->Commit({Insert(running), Insert(Record("n", "alice", 2, OperationStatus::kNotStarted)),
                    Insert(Record("s", "alice", 3, OperationStatus::kSucceeded)),
                    Insert(Record("c", "alice", 4, OperationStatus::kCanceled))})
          .ok());
  auto unfinished = store->Claim(ClaimQuery{"me", 10, 1000, 100, false});
  ASSERT_TRUE(unfinished.ok());
  ASSERT_EQ(unfinished->size(), 2U);
  for (const auto& r : *unfinished) {
    if (r.id == "r") {
      EXPECT_EQ(r.request, "replay me");
    }
    EXPECT_TRUE(r.id == "r" || r.id == "n");
  }
  auto counts = store->CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), 4U);
}

// Schema 3 held a lease per operation; schema 4 holds one per replica, which the migration
// starts at the latest of the replica's operations' leases: work stays held until then.
TEST(SqliteStore, MigratingFromPerOperationLeasesKeepsWorkHeldUntilItsLeaseEnds) {
  TempDir dir;
  {
    auto store = Open(dir);
    auto a = Record("a", "alice", 1);
    a.owner = "old-replica";
    a.lease_expires_ms = 5000;
    auto b = Record("b", "alice", 2);
    b.owner = "old-replica";
    b.lease_expires_ms = 7000;
    ASSERT_TRUE(store->Commit({Insert(a), Insert(b)}).ok());
  }
  {  // Back to schema 3: no replicas table.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("ops.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE replicas; DROP INDEX operations_cancel_requested; "
                           "PRAGMA user_version=3;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = Open(dir);
  // Both operations' own leases ended at 5000 and 7000; the replica's (migrated) holds both
  // until 7000.
  EXPECT_TRUE(store->Claim(ClaimQuery{"new-replica", 6000, 1000, 10, 0})->empty());
  auto taken = store->Claim(ClaimQuery{"new-replica", 7000, 1000, 10, 0});
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 2U);
}

TEST(SqliteStore, CommittedDataSurvivesReopening) {
  TempDir dir;
  {
    auto store = Open(dir);
    ASSERT_TRUE(store->Commit({Insert(Record("a", "alice", 1))}).ok());
  }
  auto store = Open(dir);
  auto a = store->Get("a", false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has_value());
}

// With fsync on, a commit's WAL frames are gathered and written at once (batched_wal_vfs):
// large commits (megabytes of frames, more than one write can carry), updates of rows written
// in the same run, checkpoints and a reopen must all read back exactly what was committed.
TEST(SqliteStore, LargeCommitsAndCheckpointsReadBackAfterReopening) {
  TempDir dir;
  SqliteStoreOptions options;
  options.wal_autocheckpoint_pages = 1000;  // several checkpoints during the test
  const std::string request(1500, 'r');     // rows that span pages
  constexpr int kBatches = 6;
  constexpr int kPerBatch = 1500;
  auto id = [](int batch, int i) {
    return "op-" + std::to_string(batch) + "-" + std::to_string(i);
  };
  {
    auto opened = OpenSqliteStore(dir.File("ops.db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto store = *opened;
    for (int batch = 0; batch < kBatches; ++batch) {
      std::vector<StoreWrite> writes;
      for (int i = 0; i < kPerBatch; ++i) {
        OperationRecord r = Record(id(batch, i), "alice", batch * kPerBatch + i);
        r.request = request;
        writes.push_back(Insert(std::move(r)));
      }
      if (batch > 0) {  // finish the previous batch's operations in the same transaction
        for (int i = 0; i < kPerBatch; i += 3) {
          OperationRecord update;
          update.id = id(batch - 1, i);
          update.status = OperationStatus::kSucceeded;
          update.updated_ms = 1'000'000 + i;
          update.has_result = true;
          update.result_content_type = "application/json";
          update.result = std::string(700, 'x');
          writes.push_back(StoreWrite{StoreWrite::Kind::kUpdate, update, std::nullopt, 1});
        }
      }
      ASSERT_TRUE(store->Commit(writes).ok()) << "batch " << batch;
      auto first = store->Get(id(batch, 0), false);
      ASSERT_TRUE(first.ok() && first->has_value()) << "batch " << batch;
    }
  }
  auto opened = OpenSqliteStore(dir.File("ops.db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto store = *opened;
  for (int batch = 0; batch < kBatches; ++batch) {
    for (int i = 0; i < kPerBatch; i += 7) {
      auto got = store->Get(id(batch, i), true);
      ASSERT_TRUE(got.ok() && got->has_value()) << id(batch, i);
      const bool finished = batch + 1 < kBatches && i % 3 == 0;
      EXPECT_EQ((*got)->status, finished ? OperationStatus::kSucceeded : OperationStatus::kRunning);
      EXPECT_EQ((*got)->result.size(), finished ? 700U : 0U);
    }
  }
  auto unfinished = store->Claim(ClaimQuery{"me", 0, 1000, 1'000'000, false});
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(unfinished->size(), static_cast<std::size_t>(kBatches * kPerBatch -
                                                         (kBatches - 1) * ((kPerBatch + 2) / 3)));
  for (const auto& record : *unfinished) ASSERT_EQ(record.request, request);
}
TEST(SqliteStore, OpenStoreUnderstandsUrls) {
  TempDir dir;
  EXPECT_TRUE(OpenStore("sqlite:" + dir.File("a.db")).ok());
  EXPECT_TRUE(OpenStore(dir.File("b.db")).ok());
  // A PostgreSQL URL goes to PostgreSQL (nothing listens on port 1).
  EXPECT_EQ(OpenStore("postgres://127.0.0.1:1/lro?sslmode=disable&gssencmode=disable&"
                      "connect_timeout=5")
                .status()
                .code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h:5432/db"));
  EXPECT_TRUE(IsPostgresUrl("host=/tmp port=5433 dbname=lro"));
  EXPECT_FALSE(IsPostgresUrl("ops=1.db"));
  EXPECT_EQ(OpenStore("ftp://x/y").status().code(), StatusCode::kInvalidArgument);
  // A mistyped scheme is refused rather than taken for a file name to create.
  EXPECT_EQ(OpenStore("sqlit:ops.db").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(OpenStore(dir.File("with:colon.db")).ok());
  EXPECT_EQ(OpenStore("sqlite:").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(OpenStore("sqlite:/nonexistent-dir/x/y.db").ok());
}

TEST(OperationStatus, NamesRoundTrip) {
  for (auto status :
       {OperationStatus::kNotStarted, OperationStatus::kRunning, OperationStatus::kSucceeded,
        OperationStatus::kFailed, OperationStatus::kCanceled}) {
    EXPECT_EQ(ParseOperationStatus(OperationStatusName(status)), status);
  }
  EXPECT_EQ(ParseOperationStatus("running"), OperationStatus::kRunning);
  EXPECT_FALSE(ParseOperationStatus("Paused"));
  EXPECT_FALSE(IsTerminal(OperationStatus::kRunning));
  EXPECT_TRUE(IsTerminal(OperationStatus::kCanceled));
}

}  // namespace
}  // namespace lro::server
