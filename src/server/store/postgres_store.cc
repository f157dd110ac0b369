// The PostgreSQL store: many lrod replicas on one database. libpq (from Debian) stays in this
// file. A small pool of connections; a group commit is one transaction sent in pipeline mode
// (one round trip per few hundred writes); state writes are fenced by version; keys are
// insert-if-absent; claims skip rows another replica is claiming (FOR UPDATE SKIP LOCKED);
// the schema is created and migrated under an advisory lock, so replicas may start at once.
// Reads run on MVCC snapshots: they never block writers.

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/json_text.h"
#include "lro/server/store.h"
#include "store/operation_columns.h"
#include "wire/thread_safety.h"

namespace lro::server {
namespace {

constexpr int kSchemaVersion = 3;
// pg_advisory_xact_lock keys: schema migrations, retention passes. Arbitrary, fixed.
constexpr const char* kMigrationLock = "7420553188001";
constexpr const char* kPurgeLock = "7420553188002";
// Statements per pipeline round trip within one transaction.
constexpr std::size_t kPipelineChunk = 256;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE lrod_operations (
  id               text COLLATE "C" PRIMARY KEY,
  principal        text NOT NULL,
  type             text NOT NULL,
  status           smallint NOT NULL,
  percent          smallint,
  created_ms       bigint NOT NULL,
  updated_ms       bigint NOT NULL,
  expires_ms       bigint,
  error            text,
  result_type      text,
  result           bytea,
  request          text,
  version          bigint NOT NULL,
  owner            text NOT NULL DEFAULT '',
  lease_expires_ms bigint,
  cancel_requested boolean NOT NULL DEFAULT false,
  next_run_ms      bigint,
  attempts         integer NOT NULL DEFAULT 1
);
CREATE INDEX lrod_operations_by_principal ON lrod_operations (principal, created_ms, id);
CREATE INDEX lrod_operations_by_expiry ON lrod_operations (expires_ms)
  WHERE expires_ms IS NOT NULL;
CREATE INDEX lrod_operations_unfinished ON lrod_operations (created_ms) WHERE status < 2;
CREATE INDEX lrod_operations_owned ON lrod_operations (owner) WHERE status < 2;
CREATE TABLE lrod_operation_keys (
  principal    text NOT NULL,
  kind         smallint NOT NULL,
  key          text NOT NULL,
  fingerprint  text NOT NULL,
  operation_id text NOT NULL,
  expires_ms   bigint NOT NULL,
  PRIMARY KEY (principal, kind, key)
);
CREATE INDEX lrod_operation_keys_by_expiry ON lrod_operation_keys (expires_ms);
)sql";

// Schema 1 to 2: operations get a display name (existing ones none).
constexpr const char* kMigrate1To2 = R"sql(
ALTER TABLE lrod_operations ADD COLUMN display_name text NOT NULL DEFAULT '';
)sql";

// Schema 2 to 3: leases were per operation, now one per replica (renewing it is one write,
// whatever the number of operations); each owner's lease starts as the latest of its
// operations'. Cancel requests of unfinished operations get an index of their own, and claims
// find a replica's own expiring work by (owner, lease_expires_ms); nothing reads the unfinished
// operations in creation order any more (one index fewer to write per create).
constexpr const char* kMigrate2To3 = R"sql(
CREATE TABLE lrod_replicas (
  id               text COLLATE "C" PRIMARY KEY,
  lease_expires_ms bigint NOT NULL
);
INSERT INTO lrod_replicas (id, lease_expires_ms)
  SELECT owner, max(coalesce(lease_expires_ms, 0)) FROM lrod_operations
  WHERE status < 2 AND owner <> '' GROUP BY owner;
CREATE INDEX lrod_operations_cancel_requested ON lrod_operations (owner)
  WHERE status < 2 AND cancel_requested;
DROP INDEX lrod_operations_owned;
DROP INDEX lrod_operations_unfinished;
CREATE INDEX lrod_operations_owned_by_lease ON lrod_operations (owner, lease_expires_ms)
  WHERE status < 2;
)sql";

constexpr int kOpColumns = internal::kOperationColumns;

#define LRO_PG_INSERT_COLUMNS                                                               \
  "id, principal, type, status, percent, created_ms, updated_ms, expires_ms, error, "       \
  "result_type, result, request, version, owner, lease_expires_ms, next_run_ms, attempts, " \
  "display_name"
#define LRO_PG_INSERT_VALUES                                                              \
  "$1, $2, $3, $4::smallint, $5::smallint, $6::bigint, $7::bigint, $8::bigint, $9, $10, " \
  "$11::bytea, $12, 1, $13, $14::bigint, $15::bigint, $16::integer, $17"

struct PreparedSql {
  const char* name;
  const char* sql;
};

constexpr PreparedSql kStatements[] = {
    {"insert_op",
     "INSERT INTO lrod_operations (" LRO_PG_INSERT_COLUMNS ") VALUES (" LRO_PG_INSERT_VALUES ")"},
    // The key first, if absent (or expired at the operation's creation); the operation only
    // when the key was written. No row back = another operation holds the key.
    {"insert_keyed_op",
     "WITH k AS (INSERT INTO lrod_operation_keys AS k (principal, kind, key, fingerprint, "
     "operation_id, expires_ms) VALUES ($18, $19::smallint, $20, $21, $1, $22::bigint) "
     "ON CONFLICT (principal, kind, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
     "operation_id = EXCLUDED.operation_id, expires_ms = EXCLUDED.expires_ms "
     "WHERE k.expires_ms <= $6::bigint RETURNING 1) "
     "INSERT INTO lrod_operations (" LRO_PG_INSERT_COLUMNS ") SELECT " LRO_PG_INSERT_VALUES
     " FROM k RETURNING version"},
    {"update_op",
     "UPDATE lrod_operations SET status = $2::smallint, percent = $3::smallint, "
     "updated_ms = $4::bigint, expires_ms = $5::bigint, error = $6, result_type = $7, "
     "result = $8::bytea, owner = $10, lease_expires_ms = $11::bigint, "
     "next_run_ms = $12::bigint, version = version + 1 "
     "WHERE id = $1 AND version = $9::bigint RETURNING version"},
    {"find_key",
     "SELECT fingerprint, operation_id, expires_ms FROM lrod_operation_keys "
     "WHERE principal = $1 AND kind = $2::smallint AND key = $3"},
    // Both branches read through lrod_operations_owned_by_lease: the unfinished operations of
    // expired (or no) owners, and the claimer's own whose lease ends before $5 (a range, empty
    // but at a restart). The cost does not grow with live work.
    {"claim",
     "UPDATE lrod_operations SET owner = $1, lease_expires_ms = $2::bigint + $3::bigint, "
     "version = version + 1, attempts = attempts + 1 WHERE id IN (SELECT id FROM "
     "lrod_operations WHERE status < 2 AND ((owner IN (SELECT '' UNION ALL SELECT id FROM "
     "lrod_replicas WHERE lease_expires_ms <= $2::bigint) AND (owner = '' OR "
     "lease_expires_ms IS NULL OR lease_expires_ms <= $2::bigint) AND (next_run_ms IS NULL OR "
     "next_run_ms <= $2::bigint)) OR (owner = $1 AND lease_expires_ms < $5::bigint)) "
     "ORDER BY created_ms LIMIT $4::bigint FOR UPDATE SKIP LOCKED) "
     "RETURNING " LRO_OPERATION_COLUMNS ", request"},
    {"ensure_replica",
     "INSERT INTO lrod_replicas (id, lease_expires_ms) VALUES ($1, 0) ON CONFLICT DO NOTHING"},
    // The renewal, answering the previous lease (NULL: none) in one statement. (A data-modifying
    // WITH runs whether or not the query reads it; both see the row as it was before.)
    {"renew",
     "WITH previous AS (SELECT lease_expires_ms FROM lrod_replicas WHERE id = $1 FOR UPDATE), "
     "renewed AS (INSERT INTO lrod_replicas (id, lease_expires_ms) VALUES ($1, $2::bigint) "
     "ON CONFLICT (id) DO UPDATE SET lease_expires_ms = EXCLUDED.lease_expires_ms) "
     "SELECT (SELECT lease_expires_ms FROM previous)"},
    {"owned",
     "SELECT id, version, cancel_requested FROM lrod_operations "
     "WHERE owner = $1 AND status < 2"},
    {"owned_cancel_requested",
     "SELECT id, version, cancel_requested FROM lrod_operations "
     "WHERE owner = $1 AND status < 2 AND cancel_requested"},
    // Recorded, and the replicas told (NOTIFY is delivered at commit).
    {"cancel",
     "WITH c AS (UPDATE lrod_operations SET cancel_requested = true WHERE id = $1 AND "
     "status < 2 RETURNING id) SELECT pg_notify('lrod_work', 'cancel') FROM c"},
    {"notify_released", "SELECT pg_notify('lrod_work', 'released')"},
    {"get", "SELECT " LRO_OPERATION_COLUMNS " FROM lrod_operations WHERE id = $1"},
    {"get_result", "SELECT " LRO_OPERATION_COLUMNS ", result FROM lrod_operations WHERE id = $1"},
    {"list", "SELECT " LRO_OPERATION_COLUMNS " FROM lrod_operations WHERE principal = $1 "
             "AND ($2::smallint IS NULL OR status = $2::smallint) AND ($3 = '' OR type = $3) "
             "AND (expires_ms IS NULL OR expires_ms > $4::bigint) "
             "AND (created_ms > $5::bigint OR (created_ms = $5::bigint AND id > $6)) "
             "ORDER BY created_ms, id LIMIT $7::bigint"},
    {"list_newest_first",
     "SELECT " LRO_OPERATION_COLUMNS " FROM lrod_operations WHERE principal = $1 "
     "AND ($2::smallint IS NULL OR status = $2::smallint) AND ($3 = '' OR type = $3) "
     "AND (expires_ms IS NULL OR expires_ms > $4::bigint) "
     "AND (created_ms < $5::bigint OR (created_ms = $5::bigint AND id < $6)) "
     "ORDER BY created_ms DESC, id DESC LIMIT $7::bigint"},
    {"count", "SELECT status, count(*) FROM lrod_operations GROUP BY status"},
    {"purge_ops",
     "DELETE FROM lrod_operations WHERE id IN (SELECT id FROM lrod_operations "
     "WHERE expires_ms <= $1::bigint ORDER BY expires_ms LIMIT $2::bigint "
     "FOR UPDATE SKIP LOCKED)"},
    {"purge_keys",
     "DELETE FROM lrod_operation_keys WHERE (principal, kind, key) IN (SELECT principal, kind, "
     "key FROM lrod_operation_keys WHERE expires_ms <= $1::bigint LIMIT $2::bigint "
     "FOR UPDATE SKIP LOCKED)"},
    {"purge_replicas",
     "DELETE FROM lrod_replicas r WHERE lease_expires_ms <= $1::bigint AND NOT EXISTS "
     "(SELECT 1 FROM lrod_operations o WHERE o.owner = r.id AND o.status < 2)"},
};

// A PGresult freed at the end of the scope.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

Status PgError(PGconn* conn, std::string_view what, const PGresult* result = nullptr) {
  std::string message = "postgres: ";
  message += what;
  message += ": ";
  const char* text = result != nullptr ? PQresultErrorMessage(result) : nullptr;
  if (text == nullptr || *text == '\0') text = conn != nullptr ? PQerrorMessage(conn) : "no memory";
  message += text;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Status(StatusCode::kUnavailable, std::move(message));
}

bool Ok(const PGresult* result) {
  const auto status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::int64_t ToInt(const PGresult* result, int row, int column) {
  const char* text = PQgetvalue(result, row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::string Text(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<std::size_t>(PQgetlength(result, row, column)));
}

bool IsNull(const PGresult* result, int row, int column) {
  return PQgetisnull(result, row, column) != 0;
}

bool Bool(const PGresult* result, int row, int column) {
  return PQgetvalue(result, row, column)[0] == 't';
}

std::string Bytes(const PGresult* result, int row, int column) {
  std::size_t size = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column)), &size);
  if (bytes == nullptr) return std::string();
  std::string out(reinterpret_cast<const char*>(bytes), size);
  PQfreemem(bytes);
  return out;
}

OperationRecord ReadOperation(const PGresult* r, int row, bool with_result, bool with_request) {
  OperationRecord record;
  record.id = Text(r, row, 0);
  record.principal = Text(r, row, 1);
  record.type = Text(r, row, 2);
  record.status = static_cast<OperationStatus>(ToInt(r, row, 3));
  if (!IsNull(r, row, 4)) record.percent_complete = static_cast<int>(ToInt(r, row, 4));
  record.created_ms = ToInt(r, row, 5);
  record.updated_ms = ToInt(r, row, 6);
  if (!IsNull(r, row, 7)) record.expires_ms = ToInt(r, row, 7);
  if (!IsNull(r, row, 8)) {
    record.error = internal::ErrorFromJson(Text(r, row, 8));
    if (!record.error) {
      record.error = ErrorInfo{"InternalError", "unreadable stored error", {}, false};
    }
  }
  record.has_result = !IsNull(r, row, 9);
  if (record.has_result) record.result_content_type = Text(r, row, 9);
  record.version = ToInt(r, row, 10);
  record.owner = Text(r, row, 11);
  if (!IsNull(r, row, 12)) record.lease_expires_ms = ToInt(r, row, 12);
  record.cancel_requested = Bool(r, row, 13);
  if (!IsNull(r, row, 14)) record.next_run_ms = ToInt(r, row, 14);
  record.attempts = static_cast<int>(ToInt(r, row, 15));
  record.display_name = Text(r, row, 16);
  if (with_result && record.has_result && !IsNull(r, row, kOpColumns)) {
    record.result = Bytes(r, row, kOpColumns);
  }
  if (with_request && !IsNull(r, row, with_result ? kOpColumns + 1 : kOpColumns)) {
    record.request = Text(r, row, with_result ? kOpColumns + 1 : kOpColumns);
  }
  return record;
}

// Parameters of one statement: text values (NULL = absent), bytea ones sent as binary.
class Params {
 public:
  Params& Add(std::string value) {
    values_.push_back(std::move(value));
    null_.push_back(false);
    binary_.push_back(false);
    return *this;
  }
  Params& Add(std::string_view value) { return Add(std::string(value)); }
  Params& Add(const char* value) { return Add(std::string(value)); }
  Params& Add(std::int64_t value) { return Add(std::to_string(value)); }
  Params& Add(int value) { return Add(std::to_string(value)); }
  Params& Add(bool value) { return Add(std::string(value ? "true" : "false")); }
  Params& AddNull() {
    values_.emplace_back();
    null_.push_back(true);
    binary_.push_back(false);
    return *this;
  }
  template <typename T>
  Params& Add(const std::optional<T>& value) {
    return value ? Add(*value) : AddNull();
  }
  Params& AddBytes(std::string value) {
    Add(std::move(value));
    binary_.back() = true;
    return *this;
  }

  // Pointers into this object: valid while it lives and is not changed.
  void Bind() {
    pointers_.clear();
    lengths_.clear();
    formats_.clear();
    for (std::size_t i = 0; i < values_.size(); ++i) {
      pointers_.push_back(null_[i] ? nullptr : values_[i].c_str());
      lengths_.push_back(static_cast<int>(values_[i].size()));
      formats_.push_back(binary_[i] ? 1 : 0);
    }
  }
  [[nodiscard]] int size() const { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* const* values() const { return pointers_.data(); }
  [[nodiscard]] const int* lengths() const { return lengths_.data(); }
  [[nodiscard]] const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<bool> binary_;
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// The error and the result of `r`: error JSON, result content type, result bytes (or nulls).
void AddOutcomeParams(Params& p, const OperationRecord& r) {
  if (r.error) {
    p.Add(internal::ErrorToJson(*r.error));
  } else {
    p.AddNull();
  }
  if (r.has_result) {
    p.Add(r.result_content_type).AddBytes(r.result);
  } else {
    p.AddNull().AddNull();
  }
}

// The parameters of insert_op (1–16) for `r`.
void AddInsertParams(Params& p, const OperationRecord& r) {
  p.Add(r.id).Add(r.principal).Add(r.type).Add(static_cast<int>(r.status));
  p.Add(r.percent_complete).Add(r.created_ms).Add(r.updated_ms).Add(r.expires_ms);
  AddOutcomeParams(p, r);
  if (r.request.empty()) {
    p.AddNull();
  } else {
    p.Add(r.request);
  }
  p.Add(r.owner).Add(r.lease_expires_ms).Add(r.next_run_ms).Add(std::max(1, r.attempts));
  p.Add(r.display_name);
}

class PostgresStore final : public OperationStore {
 public:
  PostgresStore() = default;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  PostgresStore(PostgresStore&&) = delete;
  PostgresStore& operator=(PostgresStore&&) = delete;
  ~PostgresStore() override {
    StopListening();
    for (PGconn* conn : all_) PQfinish(conn);
  }

  Status Open(const std::string& conninfo, const PostgresStoreOptions& options) {
    conninfo_ = conninfo;
    options_ = options;
    const int count = std::max(1, options.connections);
    for (int i = 0; i < count; ++i) {
      auto conn = Connect();
      if (!conn.ok()) return conn.status();
      all_.push_back(*conn);
      if (i == 0) {
        if (auto status = Migrate(*conn); !status.ok()) return status;
      }
      if (auto status = Prepare(*conn); !status.ok()) return status;
      MutexLock lock(mutex_);  // not shared yet: for the analysis
      free_.push_back(*conn);
    }
    return Status();
  }

  StatusOr<std::vector<WriteOutcome>> Commit(const std::vector<StoreWrite>& writes) override {
    std::vector<WriteOutcome> outcomes(writes.size());
    if (writes.empty()) return outcomes;
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    PGconn* c = conn.get();
    if (PQenterPipelineMode(c) != 1) return PgError(c, "pipeline");
    Status failure;
    // BEGIN, the writes in chunks (one round trip each), COMMIT with the last chunk.
    std::size_t next = 0;
    bool began = false;
    while (failure.ok() && next <= writes.size()) {
      std::vector<int> sent;  // index into writes, or -1 for BEGIN / COMMIT
      if (!began) {
        if (PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
          failure = PgError(c, "begin");
          break;
        }
        sent.push_back(-1);
        began = true;
        for (std::string_view owner : internal::OwnersOf(writes)) {
          Params p;
          p.Add(owner);
          p.Bind();
          if (PQsendQueryPrepared(c, "ensure_replica", p.size(), p.values(), p.lengths(),
                                  p.formats(), 0) != 1) {
            failure = PgError(c, "replica");
            break;
          }
          sent.push_back(-1);
        }
      }
      const std::size_t end = std::min(writes.size(), next + kPipelineChunk);
      for (; next < end && failure.ok(); ++next) {
        failure = SendWrite(c, writes[next]);
        if (failure.ok()) sent.push_back(static_cast<int>(next));
      }
      const bool last = next == writes.size();
      if (failure.ok() && last && ReleasesWork(writes)) {
        if (PQsendQueryPrepared(c, "notify_released", 0, nullptr, nullptr, nullptr, 0) != 1) {
          failure = PgError(c, "notify");
        } else {
          sent.push_back(-1);
        }
      }
      if (failure.ok() && last) {
        if (PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
          failure = PgError(c, "commit");
        } else {
          sent.push_back(-1);
        }
      }
      if (PQpipelineSync(c) != 1 && failure.ok()) failure = PgError(c, "sync");
      // Read every result of this round trip, even after an error.
      for (int index : sent) {
        Result first;
        while (PGresult* result = PQgetResult(c)) {
          if (!first) {
            first.reset(result);
          } else {
            PQclear(result);
          }
        }
        if (!failure.ok()) continue;
        if (!first || !Ok(first.get())) {
          failure = PgError(c, index < 0 ? "transaction" : "write", first.get());
          continue;
        }
        if (index >= 0) {
          WriteOutcome& outcome = outcomes[static_cast<std::size_t>(index)];
          const StoreWrite& write = writes[static_cast<std::size_t>(index)];
          if (PQntuples(first.get()) > 0) {
            outcome.version =
                write.kind == StoreWrite::Kind::kInsert ? 1 : ToInt(first.get(), 0, 0);
          } else if (write.kind == StoreWrite::Kind::kUpdate) {
            outcome.kind = WriteOutcome::Kind::kConflict;
          } else if (write.key) {
            outcome.kind = WriteOutcome::Kind::kKeyTaken;
          } else {
            outcome.version = 1;  // insert_op returns no row
          }
        }
      }
      // The sync marker.
      while (PGresult* result = PQgetResult(c)) {
        const bool sync = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
        PQclear(result);
        if (sync) break;
      }
      if (last) break;
    }
    PQexitPipelineMode(c);
    if (!failure.ok()) {
      Result rollback(PQexec(c, "ROLLBACK"));
      conn.CheckHealth();
      return failure;
    }
    // Who holds the keys this batch could not take.
    for (std::size_t i = 0; i < writes.size(); ++i) {
      if (outcomes[i].kind != WriteOutcome::Kind::kKeyTaken) continue;
      const KeyRecord& k = *writes[i].key;
      auto holder = FindKeyOn(c, k.principal, k.kind, k.key);
      if (!holder.ok()) return holder.status();
      outcomes[i].key_holder = holder->value_or(KeyRecord{k.principal, k.kind, k.key, {}, {}, 0});
    }
    return outcomes;
  }

  StatusOr<std::size_t> PurgeExpired(std::int64_t now_ms, std::size_t limit) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    PGconn* c = conn.get();
    Result begin(PQexec(c, "BEGIN"));
    if (!Ok(begin.get())) return Fail(conn, "begin", begin.get());
    // One replica purges at a time; the others find the lock taken and leave it to it.
    const std::string lock = std::string("SELECT pg_try_advisory_xact_lock(") + kPurgeLock + ")";
    Result locked(PQexec(c, lock.c_str()));
    if (!Ok(locked.get())) return Fail(conn, "purge lock", locked.get());
    if (!Bool(locked.get(), 0, 0)) {
      Result rollback(PQexec(c, "ROLLBACK"));
      return std::size_t{0};
    }
    Params p;
    p.Add(now_ms).Add(static_cast<std::int64_t>(limit));
    auto ops = Exec(c, "purge_ops", p);
    if (!ops.ok()) return Fail(conn, ops.status());
    const auto purged =
        static_cast<std::size_t>(std::strtoull(PQcmdTuples(ops->get()), nullptr, 10));
    auto keys = Exec(c, "purge_keys", p);
    if (!keys.ok()) return Fail(conn, keys.status());
    Params stale;
    stale.Add(now_ms - internal::kStaleReplicaMs);
    auto replicas = Exec(c, "purge_replicas", stale);
    if (!replicas.ok()) return Fail(conn, replicas.status());
    Result commit(PQexec(c, "COMMIT"));
    if (!Ok(commit.get())) return Fail(conn, "commit", commit.get());
    return purged;
  }

  StatusOr<std::vector<OperationRecord>> Claim(const ClaimQuery& query) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    Params owner;
    owner.Add(query.owner);
    if (auto ensured = Exec(conn.get(), "ensure_replica", owner); !ensured.ok()) {
      return Fail(conn, ensured.status());
    }
    Params p;
    p.Add(query.owner).Add(query.now_ms).Add(query.lease_ms);
    p.Add(static_cast<std::int64_t>(std::min<std::size_t>(query.limit, 1'000'000)));
    p.Add(query.reclaim_own_expiring_before_ms);
    auto result = Exec(conn.get(), "claim", p);
    if (!result.ok()) return Fail(conn, result.status());
    const int rows = PQntuples(result->get());
    std::vector<OperationRecord> claimed;
    claimed.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      claimed.push_back(ReadOperation(result->get(), row, false, true));
    }
    return claimed;
  }

  StatusOr<LeaseRenewal> RenewLease(std::string_view owner, std::int64_t lease_expires_ms,
                                    std::int64_t full_check_before_ms) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    PGconn* c = conn.get();
    Result begin(PQexec(c, "BEGIN"));
    if (!Ok(begin.get())) return Fail(conn, "begin", begin.get());
    Params p;
    p.Add(owner).Add(lease_expires_ms);
    auto renewed = Exec(c, "renew", p);
    if (!renewed.ok()) return Fail(conn, renewed.status());
    LeaseRenewal renewal;
    renewal.complete = PQgetisnull(renewed->get(), 0, 0) != 0 ||
                       ToInt(renewed->get(), 0, 0) < full_check_before_ms;
    Params o;
    o.Add(owner);
    auto owned = Exec(c, renewal.complete ? "owned" : "owned_cancel_requested", o);
    if (!owned.ok()) return Fail(conn, owned.status());
    const int rows = PQntuples(owned->get());
    renewal.operations.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      renewal.operations.push_back(LeaseState{
          Text(owned->get(), row, 0), ToInt(owned->get(), row, 1), Bool(owned->get(), row, 2)});
    }
    Result commit(PQexec(c, "COMMIT"));
    if (!Ok(commit.get())) return Fail(conn, "commit", commit.get());
    return renewal;
  }

  StatusOr<bool> RequestCancel(std::string_view id) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    Params p;
    p.Add(id);
    auto result = Exec(conn.get(), "cancel", p);
    if (!result.ok()) return Fail(conn, result.status());
    return PQntuples(result->get()) > 0;
  }

  void SetWakeUp(std::function<void()> wake) override {
    StopListening();
    if (!wake) return;
    auto conn = Connect();
    if (!conn.ok()) return;  // no wake-ups: the callers' polls still find the work
    Result listen(PQexec(*conn, "LISTEN lrod_work"));
    if (!Ok(listen.get())) {
      PQfinish(*conn);
      return;
    }
    listener_conn_ = *conn;
    listening_ = true;
    listener_ = std::thread([this, wake = std::move(wake)] { Listen(wake); });
  }

  StatusOr<std::optional<OperationRecord>> Get(std::string_view id, bool with_result) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    Params p;
    p.Add(id);
    auto result = Exec(conn.get(), with_result ? "get_result" : "get", p);
    if (!result.ok()) return Fail(conn, result.status());
    if (PQntuples(result->get()) == 0) return std::optional<OperationRecord>();
    return std::optional<OperationRecord>(ReadOperation(result->get(), 0, with_result, false));
  }

  StatusOr<std::optional<KeyRecord>> FindKey(std::string_view principal, KeyKind kind,
                                             std::string_view key) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    auto found = FindKeyOn(conn.get(), principal, kind, key);
    if (!found.ok()) conn.CheckHealth();
    return found;
  }

  StatusOr<ListPage> List(const ListQuery& query) override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(query.limit, 10'000));
    Params p;
    p.Add(query.principal);
    if (query.status) {
      p.Add(static_cast<int>(*query.status));
    } else {
      p.AddNull();
    }
    p.Add(query.type).Add(query.now_ms);
    const auto [after_ms, after_id] = internal::ListStart(query);
    p.Add(after_ms).Add(after_id);
    p.Add(static_cast<std::int64_t>(limit + 1));
    auto result = Exec(conn.get(), query.newest_first ? "list_newest_first" : "list", p);
    if (!result.ok()) return Fail(conn, result.status());
    ListPage page;
    const int rows = PQntuples(result->get());
    for (int row = 0; row < rows; ++row) {
      if (page.operations.size() == limit) {
        page.more = true;
        break;
      }
      page.operations.push_back(ReadOperation(result->get(), row, false, false));
    }
    return page;
  }

  StatusOr<std::vector<std::pair<OperationStatus, std::int64_t>>> CountByStatus() override {
    Borrowed conn(*this);
    if (!conn.ok()) return conn.status();
    Params p;
    auto result = Exec(conn.get(), "count", p);
    if (!result.ok()) return Fail(conn, result.status());
    const int rows = PQntuples(result->get());
    std::vector<std::pair<OperationStatus, std::int64_t>> counts;
    counts.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      counts.emplace_back(static_cast<OperationStatus>(ToInt(result->get(), row, 0)),
                          ToInt(result->get(), row, 1));
    }
    return counts;
  }

 private:
  // The listener thread: waits on its connection's socket (waking every 200 ms to see whether
  // it should stop), and calls `wake` for each notification.
  void Listen(const std::function<void()>& wake) {
    while (listening_) {
      const int fd = PQsocket(listener_conn_);
      if (fd < 0) {
        if (!ReconnectListener()) std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      pollfd poll_fd{fd, POLLIN, 0};
      if (::poll(&poll_fd, 1, 200) <= 0) continue;
      if (PQconsumeInput(listener_conn_) != 1) {
        if (!ReconnectListener()) std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      bool any = false;
      while (PGnotify* notify = PQnotifies(listener_conn_)) {
        any = true;
        PQfreemem(notify);
      }
      if (any) wake();
    }
  }

  bool ReconnectListener() {
    PQreset(listener_conn_);
    if (PQstatus(listener_conn_) != CONNECTION_OK) return false;
    Result listen(PQexec(listener_conn_, "LISTEN lrod_work"));
    return Ok(listen.get());
  }

  void StopListening() {
    listening_ = false;
    if (listener_.joinable()) listener_.join();
    if (listener_conn_ != nullptr) PQfinish(listener_conn_);
    listener_conn_ = nullptr;
  }

  // A connection borrowed from the pool for one call; a broken one is reset on return.
  class Borrowed {
   public:
    explicit Borrowed(PostgresStore& store) : store_(store) {
      MutexLock lock(store_.mutex_);
      lock.Wait(store_.available_, [&] {
        store_.mutex_.AssertHeld();
        return !store_.free_.empty();
      });
      conn_ = store_.free_.back();
      store_.free_.pop_back();
      lock.Unlock();
      if (PQstatus(conn_) != CONNECTION_OK) status_ = store_.Reconnect(conn_);
    }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    Borrowed(Borrowed&&) = delete;
    Borrowed& operator=(Borrowed&&) = delete;
    ~Borrowed() {
      {
        MutexLock lock(store_.mutex_);
        store_.free_.push_back(conn_);
      }
      store_.available_.notify_one();
    }
    [[nodiscard]] bool ok() const { return status_.ok(); }
    [[nodiscard]] const Status& status() const { return status_; }
    PGconn* get() { return conn_; }
    // After an error: a connection that broke is reset at its next use.
    void CheckHealth() {}

   private:
    PostgresStore& store_;
    PGconn* conn_ = nullptr;
    Status status_;
  };

  Status Fail(Borrowed& conn, std::string_view what, const PGresult* result) {
    Status status = PgError(conn.get(), what, result);
    if (PQtransactionStatus(conn.get()) == PQTRANS_INERROR ||
        PQtransactionStatus(conn.get()) == PQTRANS_INTRANS) {
      Result rollback(PQexec(conn.get(), "ROLLBACK"));
    }
    return status;
  }
  Status Fail(Borrowed& conn, Status status) {
    if (PQtransactionStatus(conn.get()) == PQTRANS_INERROR ||
        PQtransactionStatus(conn.get()) == PQTRANS_INTRANS) {
      Result rollback(PQexec(conn.get(), "ROLLBACK"));
    }
    return status;
  }

  StatusOr<PGconn*> Connect() {
    PGconn* conn = PQconnectdb(conninfo_.c_str());
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      Status status = PgError(conn, "connect");
      PQfinish(conn);
      return status;
    }
    if (Status status = ApplySessionSettings(conn); !status.ok()) {
      PQfinish(conn);
      return status;
    }
    return conn;
  }

  // What every connection of this store sets for its session, on connect and on reconnect.
  Status ApplySessionSettings(PGconn* conn) const {
    const std::string session =
        std::string(
            "SET application_name = 'lrod'; SET client_min_messages = warning; "
            "SET synchronous_commit = ") +
        (options_.synchronous_commit ? "on" : "off");
    Result set(PQexec(conn, session.c_str()));
    if (!Ok(set.get())) return PgError(conn, "session settings", set.get());
    return Status();
  }

  // Reconnects a broken pooled connection in place.
  Status Reconnect(PGconn*& conn) {
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) return PgError(conn, "reconnect");
    if (Status status = ApplySessionSettings(conn); !status.ok()) return status;
    return Prepare(conn);
  }

  static Status Prepare(PGconn* conn) {
    for (const auto& statement : kStatements) {
      Result prepared(PQprepare(conn, statement.name, statement.sql, 0, nullptr));
      if (!Ok(prepared.get())) {
        return PgError(conn, std::string("prepare ") + statement.name, prepared.get());
      }
    }
    return Status();
  }

  // Creates or migrates the schema. The advisory lock serializes replicas starting at once:
  // the first creates, the others find it done.
  static Status Migrate(PGconn* conn) {
    auto exec = [conn](const std::string& sql, std::string_view what) -> StatusOr<Result> {
      Result result(PQexec(conn, sql.c_str()));
      if (!Ok(result.get())) {
        Status status = PgError(conn, what, result.get());
        Result rollback(PQexec(conn, "ROLLBACK"));
        return status;
      }
      return result;
    };
    if (auto r = exec("BEGIN", "begin"); !r.ok()) return r.status();
    if (auto r = exec(std::string("SELECT pg_advisory_xact_lock(") + kMigrationLock + ")",
                      "schema lock");
        !r.ok()) {
      return r.status();
    }
    if (auto r = exec("CREATE TABLE IF NOT EXISTS lrod_schema_version (version integer NOT NULL)",
                      "schema_version");
        !r.ok()) {
      return r.status();
    }
    auto current = exec("SELECT coalesce(max(version), 0) FROM lrod_schema_version", "version");
    if (!current.ok()) return current.status();
    const std::int64_t version = ToInt(current->get(), 0, 0);
    if (version > kSchemaVersion) {
      Result rollback(PQexec(conn, "ROLLBACK"));
      return Status(StatusCode::kFailedPrecondition,
                    "postgres: the database was written by a newer lrod (schema " +
                        std::to_string(version) + ")");
    }
    if (version < 1) {
      if (auto r = exec(kSchemaV1, "create schema"); !r.ok()) return r.status();
    }
    if (version < 2) {
      if (auto r = exec(kMigrate1To2, "migrate schema 1 to 2"); !r.ok()) return r.status();
    }
    if (version < 3) {
      if (auto r = exec(kMigrate2To3, "migrate schema 2 to 3"); !r.ok()) return r.status();
    }
    if (version < kSchemaVersion) {
      if (auto r = exec("DELETE FROM lrod_schema_version", "schema_version"); !r.ok()) {
        return r.status();
      }
      if (auto r = exec(
              "INSERT INTO lrod_schema_version VALUES (" + std::to_string(kSchemaVersion) + ")",
              "schema_version");
          !r.ok()) {
        return r.status();
      }
    }
    if (auto r = exec("COMMIT", "commit"); !r.ok()) return r.status();
    return Status();
  }

  static StatusOr<Result> Exec(PGconn* conn, const char* statement, Params& params) {
    params.Bind();
    Result result(PQexecPrepared(conn, statement, params.size(), params.values(), params.lengths(),
                                 params.formats(), 0));
    if (!Ok(result.get())) return PgError(conn, statement, result.get());
    return result;
  }

  static StatusOr<std::optional<KeyRecord>> FindKeyOn(PGconn* conn, std::string_view principal,
                                                      KeyKind kind, std::string_view key) {
    Params p;
    p.Add(principal).Add(static_cast<int>(kind)).Add(key);
    auto result = Exec(conn, "find_key", p);
    if (!result.ok()) return result.status();
    if (PQntuples(result->get()) == 0) return std::optional<KeyRecord>();
    return std::optional<KeyRecord>(KeyRecord{std::string(principal), kind, std::string(key),
                                              Text(result->get(), 0, 0), Text(result->get(), 0, 1),
                                              ToInt(result->get(), 0, 2)});
  }

  // True when a write hands work over (unowned, unfinished): the other replicas are told.
  static bool ReleasesWork(const std::vector<StoreWrite>& writes) {
    return std::any_of(writes.begin(), writes.end(), [](const StoreWrite& write) {
      return write.kind == StoreWrite::Kind::kUpdate && write.record.owner.empty() &&
             !IsTerminal(write.record.status);
    });
  }

  // Queues one write of a pipelined Commit.
  static Status SendWrite(PGconn* conn, const StoreWrite& write) {
    const OperationRecord& r = write.record;
    Params p;
    const char* statement = nullptr;
    if (write.kind == StoreWrite::Kind::kInsert) {
      AddInsertParams(p, r);
      statement = "insert_op";
      if (write.key) {
        const KeyRecord& k = *write.key;
        p.Add(k.principal).Add(static_cast<int>(k.kind)).Add(k.key).Add(k.fingerprint);
        p.Add(k.expires_ms);
        statement = "insert_keyed_op";
      }
    } else {
      statement = "update_op";
      p.Add(r.id).Add(static_cast<int>(r.status)).Add(r.percent_complete).Add(r.updated_ms);
      p.Add(r.expires_ms);
      AddOutcomeParams(p, r);
      p.Add(write.expected_version).Add(r.owner).Add(r.lease_expires_ms).Add(r.next_run_ms);
    }
    p.Bind();
    if (PQsendQueryPrepared(conn, statement, p.size(), p.values(), p.lengths(), p.formats(), 0) !=
        1) {
      return PgError(conn, statement);
    }
    return Status();
  }

  std::string conninfo_;
  PostgresStoreOptions options_;
  std::atomic<bool> listening_{false};
  PGconn* listener_conn_ = nullptr;
  std::thread listener_;
  std::vector<PGconn*> all_;
  Mutex mutex_;
  std::condition_variable available_;
  std::vector<PGconn*> free_ LRO_GUARDED_BY(mutex_);
};

}  // namespace

StatusOr<std::shared_ptr<OperationStore>> OpenPostgresStore(const std::string& conninfo,
                                                            PostgresStoreOptions options) {
  auto store = std::make_shared<PostgresStore>();
  if (auto status = store->Open(conninfo, options); !status.ok()) return status;
  return std::shared_ptr<OperationStore>(std::move(store));
}

}  // namespace lro::server
