// The embedded store: one SQLite file in WAL mode. One writer connection (the runtime's
// writer thread batches many writes per transaction), a small pool of read connections.

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "common/json_text.h"
#include "lro/server/store.h"
#include "store/batched_wal_vfs.h"
#include "store/operation_columns.h"
#include "wire/thread_safety.h"

namespace lro::server {
namespace {

constexpr int kSchemaVersion = 4;

// Rows are clustered by insertion order (seq), not by the random public id: a batch of
// creates appends to the same few pages instead of dirtying one random page each, which is
// what a group commit writes and fsyncs. The id is found through its own (small) index.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS operations (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  principal        TEXT NOT NULL,
  type             TEXT NOT NULL,
  status           INTEGER NOT NULL,
  percent          INTEGER,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  expires_ms       INTEGER,
  error            TEXT,
  result_type      TEXT,
  result           BLOB,
  request          TEXT,
  version          INTEGER NOT NULL DEFAULT 1,
  owner            TEXT NOT NULL DEFAULT '',
  lease_expires_ms INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  next_run_ms      INTEGER,
  attempts         INTEGER NOT NULL DEFAULT 1,
  display_name     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS operations_by_principal ON operations (principal, created_ms, id);
CREATE INDEX IF NOT EXISTS operations_by_expiry ON operations (expires_ms)
  WHERE expires_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS operations_owned_by_lease ON operations (owner, lease_expires_ms)
  WHERE status < 2;
CREATE INDEX IF NOT EXISTS operations_cancel_requested ON operations (owner)
  WHERE status < 2 AND cancel_requested = 1;
CREATE TABLE IF NOT EXISTS replicas (
  id               TEXT PRIMARY KEY,
  lease_expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS operation_keys (
  principal    TEXT NOT NULL,
  kind         INTEGER NOT NULL,
  key          TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  expires_ms   INTEGER NOT NULL,
  PRIMARY KEY (principal, kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS operation_keys_by_expiry ON operation_keys (expires_ms);
)sql";

// Schema 1 (before leases) to 2. Its unfinished operations get no owner: claimable at once.
constexpr const char* kMigrate1To2 = R"sql(
ALTER TABLE operations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE operations ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE operations ADD COLUMN lease_expires_ms INTEGER;
ALTER TABLE operations ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN next_run_ms INTEGER;
ALTER TABLE operations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
)sql";

// Schema 2 to 3: operations get a display name (existing ones none).
constexpr const char* kMigrate2To3 = R"sql(
ALTER TABLE operations ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
)sql";

// Schema 3 to 4 (after kSchema made the replicas table): leases were per operation, now one
// per replica; each owner's lease starts as the latest of its operations'. Claims find a
// replica's own expiring work by (owner, lease_expires_ms) now, and nothing reads the unfinished
// operations by status any more (one index fewer to write per create).
constexpr const char* kMigrate3To4 = R"sql(
DROP INDEX IF EXISTS operations_owned;
DROP INDEX IF EXISTS operations_unfinished;
INSERT OR IGNORE INTO replicas (id, lease_expires_ms)
  SELECT owner, max(coalesce(lease_expires_ms, 0)) FROM operations
  WHERE status < 2 AND owner <> '' GROUP BY owner;
)sql";

constexpr int kOpColumns = internal::kOperationColumns;

Status SqliteError(sqlite3* db, std::string_view what) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Status(StatusCode::kUnavailable, std::move(message));
}

// A prepared statement, reset after each use.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return SqliteError(db, "prepare");
    }
    return Status();
  }
  sqlite3_stmt* get() { return stmt_; }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }
  void BindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  }
  void Bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void BindNull(int index) { sqlite3_bind_null(stmt_, index); }

  std::string Text(int column) {
    const auto* text = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  }
  std::string Blob(int column) {
    const void* data = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
  }
  std::int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever happened.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& statement) : statement_(statement) {}
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;
  ResetGuard(ResetGuard&&) = delete;
  ResetGuard& operator=(ResetGuard&&) = delete;
  ~ResetGuard() { statement_.Reset(); }

 private:
  Statement& statement_;
};

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = std::string("sqlite: ") + (error != nullptr ? error : "error");
    sqlite3_free(error);
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  return Status();
}

// `vfs`: a registered VFS name, or nullptr for the default one.
StatusOr<sqlite3*> OpenConnection(const std::string& path, bool read_only,
                                  const char* vfs = nullptr) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, vfs) != SQLITE_OK) {
    Status status = SqliteError(db, "open " + path);
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_busy_timeout(db, 10'000);
  if (read_only) {
    if (auto status = Exec(db, "PRAGMA query_only=1; PRAGMA cache_size=-16384;"); !status.ok()) {
      sqlite3_close_v2(db);
      return status;
    }
  }
  return db;
}

// Reads the columns of LRO_OPERATION_COLUMNS (and, when present, result then request after them).
OperationRecord ReadOperation(Statement& s, bool with_result, bool with_request) {
  OperationRecord record;
  record.id = s.Text(0);
  record.principal = s.Text(1);
  record.type = s.Text(2);
  record.status = static_cast<OperationStatus>(s.Int(3));
  if (!s.IsNull(4)) record.percent_complete = static_cast<int>(s.Int(4));
  record.created_ms = s.Int(5);
  record.updated_ms = s.Int(6);
  if (!s.IsNull(7)) record.expires_ms = s.Int(7);
  if (!s.IsNull(8)) {
    record.error = internal::ErrorFromJson(s.Text(8));
    if (!record.error) {
      record.error = ErrorInfo{"InternalError", "unreadable stored error", {}, false};
    }
  }
  record.has_result = !s.IsNull(9);
  if (record.has_result) record.result_content_type = s.Text(9);
  record.version = s.Int(10);
  record.owner = s.Text(11);
  if (!s.IsNull(12)) record.lease_expires_ms = s.Int(12);
  record.cancel_requested = s.Int(13) != 0;
  if (!s.IsNull(14)) record.next_run_ms = s.Int(14);
  record.attempts = static_cast<int>(s.Int(15));
  record.display_name = s.Text(16);
  if (with_result && record.has_result) record.result = s.Blob(kOpColumns);
  if (with_request) record.request = s.Text(with_result ? kOpColumns + 1 : kOpColumns);
  return record;
}

struct ReadConnection {
  sqlite3* db = nullptr;
  Statement get_with_result;
  Statement get_without_result;
  Statement find_key;
  Statement list;
  Statement list_newest_first;
  Statement count;

  ReadConnection() = default;
  ReadConnection(const ReadConnection&) = delete;
  ReadConnection& operator=(const ReadConnection&) = delete;
  ReadConnection(ReadConnection&&) = delete;
  ReadConnection& operator=(ReadConnection&&) = delete;
  ~ReadConnection() = default;

  Status Prepare() {
    Status status;
    auto prepare = [&](Statement& statement, const char* sql) {
      if (status.ok()) status = statement.Prepare(db, sql);
    };
    prepare(get_with_result,
            "SELECT " LRO_OPERATION_COLUMNS ", result FROM operations WHERE id = ?1");
    prepare(get_without_result, "SELECT " LRO_OPERATION_COLUMNS " FROM operations WHERE id = ?1");
    prepare(find_key,
            "SELECT fingerprint, operation_id, expires_ms FROM operation_keys "
            "WHERE principal = ?1 AND kind = ?2 AND key = ?3");
    prepare(list, "SELECT " LRO_OPERATION_COLUMNS
                  " FROM operations WHERE principal = ?1 "
                  "AND (?2 IS NULL OR status = ?2) AND (?3 = '' OR type = ?3) "
                  "AND (expires_ms IS NULL OR expires_ms > ?4) "
                  "AND (created_ms > ?5 OR (created_ms = ?5 AND id > ?6)) "
                  "ORDER BY created_ms, id LIMIT ?7");
    prepare(list_newest_first, "SELECT " LRO_OPERATION_COLUMNS
                               " FROM operations WHERE principal = ?1 "
                               "AND (?2 IS NULL OR status = ?2) AND (?3 = '' OR type = ?3) "
                               "AND (expires_ms IS NULL OR expires_ms > ?4) "
                               "AND (created_ms < ?5 OR (created_ms = ?5 AND id < ?6)) "
                               "ORDER BY created_ms DESC, id DESC LIMIT ?7");
    prepare(count, "SELECT status, count(*) FROM operations GROUP BY status");
    return status;
  }
};

class SqliteStore final : public OperationStore {
 public:
  SqliteStore() = default;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  SqliteStore(SqliteStore&&) = delete;
  SqliteStore& operator=(SqliteStore&&) = delete;

  ~SqliteStore() override {
    readers_.clear();
    insert_op_.reset();
    update_op_.reset();
    insert_key_.reset();
    drop_expired_key_.reset();
    find_key_.reset();
    claim_.reset();
    ensure_replica_.reset();
    replica_lease_.reset();
    renew_.reset();
    owned_.reset();
    owned_cancel_requested_.reset();
    cancel_.reset();
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    purge_ops_.reset();
    purge_keys_.reset();
    purge_replicas_.reset();
    for (sqlite3* db : reader_dbs_) sqlite3_close_v2(db);
    if (writer_ != nullptr) sqlite3_close_v2(writer_);
  }

  Status Open(const std::string& path, const SqliteStoreOptions& options) {
    // With fsync on, every commit ends with a sync of the WAL: its frames can be written in
    // one go (see batched_wal_vfs.h). Without, they must reach the file as SQLite writes them.
    auto writer =
        OpenConnection(path, false, options.fsync ? internal::BatchedWalVfsName() : nullptr);
    if (!writer.ok()) return writer.status();
    writer_ = *writer;
    // WAL: readers never block the writer; synchronous=FULL fsyncs the WAL at every commit.
    // A page cache holding the hot index pages spares the writer a read per insert; see
    // SqliteStoreOptions::writer_cache_kib for why it is not larger.
    // page_size only applies to a new file: small pages make a random index update cost 1 KiB
    // of WAL instead of 4 KiB. A larger WAL between checkpoints writes hot pages once.
    std::string pragmas =
        "PRAGMA page_size=" + std::to_string(options.page_size) +
        "; PRAGMA journal_mode=WAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-" +
        std::to_string(std::max(64, options.writer_cache_kib)) +
        "; PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages) + "; ";
    pragmas += options.fsync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
    if (auto status = Exec(writer_, pragmas.c_str()); !status.ok()) return status;
    if (auto status = Migrate(); !status.ok()) return status;

    auto make = [&](std::unique_ptr<Statement>& statement, const char* sql) -> Status {
      statement = std::make_unique<Statement>();
      return statement->Prepare(writer_, sql);
    };
    for (auto [statement, sql] :
         std::initializer_list<std::pair<std::unique_ptr<Statement>*, const char*>>{
             {&insert_op_,
              "INSERT INTO operations (id, principal, type, status, percent, created_ms, "
              "updated_ms, expires_ms, error, result_type, result, request, version, owner, "
              "lease_expires_ms, next_run_ms, attempts, display_name) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?13, ?14, ?15, ?16, "
              "?17)"},
             {&update_op_,
              "UPDATE operations SET status = ?2, percent = ?3, updated_ms = ?4, "
              "expires_ms = ?5, error = ?6, result_type = ?7, result = ?8, owner = ?10, "
              "lease_expires_ms = ?11, next_run_ms = ?12, version = version + 1 "
              "WHERE id = ?1 AND version = ?9 RETURNING version"},
             {&insert_key_,
              "INSERT OR IGNORE INTO operation_keys (principal, kind, key, fingerprint, "
              "operation_id, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
             {&drop_expired_key_,
              "DELETE FROM operation_keys WHERE principal = ?1 AND kind = ?2 AND key = ?3 "
              "AND expires_ms <= ?4"},
             {&find_key_,
              "SELECT fingerprint, operation_id, expires_ms FROM operation_keys "
              "WHERE principal = ?1 AND kind = ?2 AND key = ?3"},
             // Both branches read through operations_owned_by_lease: the unfinished operations
             // of expired (or no) owners, and the claimer's own whose lease ends before ?5 (a
             // range, empty but at a restart). The cost does not grow with live work.
             {&claim_,
              "UPDATE operations SET owner = ?1, lease_expires_ms = ?2 + ?3, "
              "version = version + 1, attempts = attempts + 1 WHERE seq IN (SELECT seq FROM "
              "operations WHERE status < 2 AND owner IN (SELECT '' UNION ALL SELECT id FROM "
              "replicas WHERE lease_expires_ms <= ?2) AND (owner = '' OR lease_expires_ms IS "
              "NULL OR lease_expires_ms <= ?2) AND (next_run_ms IS NULL OR next_run_ms <= ?2) "
              "UNION SELECT seq FROM operations WHERE status < 2 AND owner = ?1 AND "
              "lease_expires_ms < ?5 ORDER BY seq LIMIT ?4) "
              "RETURNING " LRO_OPERATION_COLUMNS ", request"},
             {&ensure_replica_,
              "INSERT OR IGNORE INTO replicas (id, lease_expires_ms) VALUES (?1, 0)"},
             {&replica_lease_, "SELECT lease_expires_ms FROM replicas WHERE id = ?1"},
             {&renew_,
              "INSERT INTO replicas (id, lease_expires_ms) VALUES (?1, ?2) ON CONFLICT (id) "
              "DO UPDATE SET lease_expires_ms = excluded.lease_expires_ms"},
             {&owned_,
              "SELECT id, version, cancel_requested FROM operations "
              "WHERE owner = ?1 AND status < 2"},
             {&owned_cancel_requested_,
              "SELECT id, version, cancel_requested FROM operations "
              "WHERE owner = ?1 AND status < 2 AND cancel_requested = 1"},
             {&cancel_, "UPDATE operations SET cancel_requested = 1 WHERE id = ?1 AND status < 2"},
             {&begin_, "BEGIN IMMEDIATE"},
             {&commit_, "COMMIT"},
             {&rollback_, "ROLLBACK"},
             {&purge_ops_,
              "DELETE FROM operations WHERE seq IN (SELECT seq FROM operations "
              "WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT ?2)"},
             {&purge_keys_,
              "DELETE FROM operation_keys WHERE (principal, kind, key) IN (SELECT principal, "
              "kind, key FROM operation_keys WHERE expires_ms <= ?1 LIMIT ?2)"},
             {&purge_replicas_,
              "DELETE FROM replicas WHERE lease_expires_ms <= ?1 AND NOT EXISTS (SELECT 1 "
              "FROM operations WHERE owner = replicas.id AND status < 2)"},
         }) {
      if (auto status = make(*statement, sql); !status.ok()) return status;
    }

    const int readers = std::max(1, options.read_connections);
    for (int i = 0; i < readers; ++i) {
      auto db = OpenConnection(path, true);
      if (!db.ok()) return db.status();
      reader_dbs_.push_back(*db);
      auto reader = std::make_unique<ReadConnection>();
      reader->db = *db;
      if (auto status = reader->Prepare(); !status.ok()) return status;
      {
        MutexLock lock(readers_mutex_);  // not shared yet: for the analysis
        free_readers_.push_back(reader.get());
      }
      readers_.push_back(std::move(reader));
    }
    return Status();
  }

  StatusOr<std::vector<WriteOutcome>> Commit(const std::vector<StoreWrite>& writes) override {
    std::vector<WriteOutcome> outcomes(writes.size());
    if (writes.empty()) return outcomes;
    MutexLock lock(writer_mutex_);
    if (auto status = Step(*begin_, "begin"); !status.ok()) return status;
    for (std::string_view owner : internal::OwnersOf(writes)) {
      if (auto status = EnsureReplica(owner); !status.ok()) {
        (void)Step(*rollback_, "rollback");
        return status;
      }
    }
    for (std::size_t i = 0; i < writes.size(); ++i) {
      const StoreWrite& write = writes[i];
      Status status = write.kind == StoreWrite::Kind::kInsert ? Insert(write, outcomes[i])
                                                              : Update(write, outcomes[i]);
      if (!status.ok()) {
        (void)Step(*rollback_, "rollback");
        return status;
      }
    }
    if (auto status = Step(*commit_, "commit"); !status.ok()) {
      if (!sqlite3_get_autocommit(writer_)) (void)Step(*rollback_, "rollback");
      return status;
    }
    return outcomes;
  }

  StatusOr<std::vector<OperationRecord>> Claim(const ClaimQuery& query) override {
    MutexLock lock(writer_mutex_);
    std::vector<OperationRecord> claimed;
    if (auto status = Step(*begin_, "begin"); !status.ok()) return status;
    if (auto status = EnsureReplica(query.owner); !status.ok()) {
      (void)Step(*rollback_, "rollback");
      return status;
    }
    {
      Statement& s = *claim_;
      ResetGuard guard(s);
      s.Bind(1, query.owner);
      s.Bind(2, query.now_ms);
      s.Bind(3, query.lease_ms);
      s.Bind(4, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, 1'000'000)));
      s.Bind(5, query.reclaim_own_expiring_before_ms);
      for (;;) {
        const int rc = sqlite3_step(s.get());
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Abort("claim");
        claimed.push_back(ReadOperation(s, false, true));
      }
    }
    if (auto status = Step(*commit_, "commit"); !status.ok()) {
      if (!sqlite3_get_autocommit(writer_)) (void)Step(*rollback_, "rollback");
      return status;
    }
    return claimed;
  }

  StatusOr<LeaseRenewal> RenewLease(std::string_view owner, std::int64_t lease_expires_ms,
                                    std::int64_t full_check_before_ms) override {
    MutexLock lock(writer_mutex_);
    LeaseRenewal renewal;
    if (auto status = Step(*begin_, "begin"); !status.ok()) return status;
    {
      Statement& s = *replica_lease_;
      ResetGuard guard(s);
      s.Bind(1, owner);
      const int rc = sqlite3_step(s.get());
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Abort("read lease");
      renewal.complete = rc == SQLITE_DONE || s.Int(0) < full_check_before_ms;
    }
    {
      Statement& s = *renew_;
      ResetGuard guard(s);
      s.Bind(1, owner);
      s.Bind(2, lease_expires_ms);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return Abort("renew lease");
    }
    {
      Statement& s = renewal.complete ? *owned_ : *owned_cancel_requested_;
      ResetGuard guard(s);
      s.Bind(1, owner);
      for (;;) {
        const int rc = sqlite3_step(s.get());
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Abort("owned operations");
        renewal.operations.push_back(LeaseState{s.Text(0), s.Int(1), s.Int(2) != 0});
      }
    }
    if (auto status = Step(*commit_, "commit"); !status.ok()) {
      if (!sqlite3_get_autocommit(writer_)) (void)Step(*rollback_, "rollback");
      return status;
    }
    return renewal;
  }

  StatusOr<bool> RequestCancel(std::string_view id) override {
    MutexLock lock(writer_mutex_);
    Statement& s = *cancel_;
    ResetGuard guard(s);
    s.Bind(1, id);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return SqliteError(writer_, "request cancel");
    return sqlite3_changes(writer_) > 0;
  }

  StatusOr<std::size_t> PurgeExpired(std::int64_t now_ms, std::size_t limit) override {
    MutexLock lock(writer_mutex_);
    const auto bounded = static_cast<std::int64_t>(
        std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<int>::max())));
    if (auto status = Step(*begin_, "begin"); !status.ok()) return status;
    purge_ops_->Bind(1, now_ms);
    purge_ops_->Bind(2, bounded);
    if (auto status = Step(*purge_ops_, "purge operations"); !status.ok()) {
      (void)Step(*rollback_, "rollback");
      return status;
    }
    const auto purged = static_cast<std::size_t>(sqlite3_changes(writer_));
    purge_keys_->Bind(1, now_ms);
    purge_keys_->Bind(2, bounded);
    if (auto status = Step(*purge_keys_, "purge keys"); !status.ok()) {
      (void)Step(*rollback_, "rollback");
      return status;
    }
    purge_replicas_->Bind(1, now_ms - internal::kStaleReplicaMs);
    if (auto status = Step(*purge_replicas_, "purge replicas"); !status.ok()) {
      (void)Step(*rollback_, "rollback");
      return status;
    }
    if (auto status = Step(*commit_, "commit"); !status.ok()) {
      if (!sqlite3_get_autocommit(writer_)) (void)Step(*rollback_, "rollback");
      return status;
    }
    return purged;
  }

  StatusOr<std::optional<OperationRecord>> Get(std::string_view id, bool with_result) override {
    Borrowed reader(*this);
    Statement& s = with_result ? reader->get_with_result : reader->get_without_result;
    ResetGuard guard(s);
    s.Bind(1, id);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<OperationRecord>();
    if (rc != SQLITE_ROW) return SqliteError(reader->db, "get");
    return std::optional<OperationRecord>(ReadOperation(s, with_result, false));
  }

  StatusOr<std::optional<KeyRecord>> FindKey(std::string_view principal, KeyKind kind,
                                             std::string_view key) override {
    Borrowed reader(*this);
    Statement& s = reader->find_key;
    ResetGuard guard(s);
    s.Bind(1, principal);
    s.Bind(2, static_cast<std::int64_t>(kind));
    s.Bind(3, key);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<KeyRecord>();
    if (rc != SQLITE_ROW) return SqliteError(reader->db, "find key");
    KeyRecord record;
    record.principal = std::string(principal);
    record.kind = kind;
    record.key = std::string(key);
    record.fingerprint = s.Text(0);
    record.operation_id = s.Text(1);
    record.expires_ms = s.Int(2);
    return std::optional<KeyRecord>(std::move(record));
  }

  StatusOr<ListPage> List(const ListQuery& query) override {
    Borrowed reader(*this);
    Statement& s = query.newest_first ? reader->list_newest_first : reader->list;
    ResetGuard guard(s);
    s.Bind(1, query.principal);
    if (query.status) {
      s.Bind(2, static_cast<std::int64_t>(*query.status));
    } else {
      s.BindNull(2);
    }
    s.Bind(3, query.type);
    s.Bind(4, query.now_ms);
    const auto [after_ms, after_id] = internal::ListStart(query);
    s.Bind(5, after_ms);
    s.Bind(6, after_id);
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(query.limit, 10'000));
    s.Bind(7, static_cast<std::int64_t>(limit + 1));
    ListPage page;
    for (;;) {
      const int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(reader->db, "list");
      if (page.operations.size() == limit) {
        page.more = true;
        break;
      }
      page.operations.push_back(ReadOperation(s, false, false));
    }
    return page;
  }

  StatusOr<std::vector<std::pair<OperationStatus, std::int64_t>>> CountByStatus() override {
    Borrowed reader(*this);
    Statement& s = reader->count;
    ResetGuard guard(s);
    std::vector<std::pair<OperationStatus, std::int64_t>> counts;
    for (;;) {
      const int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(reader->db, "count");
      counts.emplace_back(static_cast<OperationStatus>(s.Int(0)), s.Int(1));
    }
    return counts;
  }

 private:
  // A read connection borrowed from the pool for one call.
  class Borrowed {
   public:
    explicit Borrowed(SqliteStore& store) : store_(store) {
      MutexLock lock(store_.readers_mutex_);
      lock.Wait(store_.readers_available_, [&] {
        store_.readers_mutex_.AssertHeld();
        return !store_.free_readers_.empty();
      });
      reader_ = store_.free_readers_.back();
      store_.free_readers_.pop_back();
    }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    Borrowed(Borrowed&&) = delete;
    Borrowed& operator=(Borrowed&&) = delete;
    ~Borrowed() {
      {
        MutexLock lock(store_.readers_mutex_);
        store_.free_readers_.push_back(reader_);
      }
      store_.readers_available_.notify_one();
    }
    ReadConnection* operator->() { return reader_; }
    ReadConnection& operator*() { return *reader_; }

   private:
    SqliteStore& store_;
    ReadConnection* reader_ = nullptr;
  };

  Status Migrate() {
    Statement version;
    if (auto status = version.Prepare(writer_, "PRAGMA user_version"); !status.ok()) return status;
    if (sqlite3_step(version.get()) != SQLITE_ROW) return SqliteError(writer_, "user_version");
    const auto current = version.Int(0);
    version.Reset();
    if (current > kSchemaVersion) {
      return Status(StatusCode::kFailedPrecondition,
                    "sqlite: the database was written by a newer lrod (schema " +
                        std::to_string(current) + ")");
    }
    std::string script = "BEGIN; ";
    if (current == 1) script += kMigrate1To2;
    if (current >= 1 && current <= 2) script += kMigrate2To3;
    script += kSchema;
    if (current >= 1 && current <= 3) script += kMigrate3To4;
    script += "PRAGMA user_version=" + std::to_string(kSchemaVersion) + "; COMMIT;";
    return Exec(writer_, script.c_str());
  }

  Status Step(Statement& statement, std::string_view what) LRO_REQUIRES(writer_mutex_) {
    ResetGuard guard(statement);
    const int rc = sqlite3_step(statement.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(writer_, what);
    return Status();
  }

  // Ends the open transaction after an error of the writer connection, which it returns.
  Status Abort(std::string_view what) LRO_REQUIRES(writer_mutex_) {
    Status status = SqliteError(writer_, what);
    (void)Step(*rollback_, "rollback");
    return status;
  }

  // A row for `owner` in replicas (lease 0 when new: its operations' own leases hold them).
  Status EnsureReplica(std::string_view owner) LRO_REQUIRES(writer_mutex_) {
    ensure_replica_->Bind(1, owner);
    return Step(*ensure_replica_, "replica");
  }

  Status Insert(const StoreWrite& write, WriteOutcome& outcome) LRO_REQUIRES(writer_mutex_) {
    const OperationRecord& r = write.record;
    if (write.key) {
      const KeyRecord& k = *write.key;
      {
        Statement& ds = *drop_expired_key_;
        ResetGuard guard(ds);
        ds.Bind(1, k.principal);
        ds.Bind(2, static_cast<std::int64_t>(k.kind));
        ds.Bind(3, k.key);
        ds.Bind(4, r.created_ms);
        if (sqlite3_step(ds.get()) != SQLITE_DONE) return SqliteError(writer_, "expire key");
      }
      {
        Statement& ks = *insert_key_;
        ResetGuard guard(ks);
        ks.Bind(1, k.principal);
        ks.Bind(2, static_cast<std::int64_t>(k.kind));
        ks.Bind(3, k.key);
        ks.Bind(4, k.fingerprint);
        ks.Bind(5, k.operation_id);
        ks.Bind(6, k.expires_ms);
        if (sqlite3_step(ks.get()) != SQLITE_DONE) return SqliteError(writer_, "insert key");
      }
      if (sqlite3_changes(writer_) == 0) {
        Statement& fs = *find_key_;
        ResetGuard guard(fs);
        fs.Bind(1, k.principal);
        fs.Bind(2, static_cast<std::int64_t>(k.kind));
        fs.Bind(3, k.key);
        if (sqlite3_step(fs.get()) != SQLITE_ROW) return SqliteError(writer_, "find key");
        outcome.kind = WriteOutcome::Kind::kKeyTaken;
        outcome.key_holder =
            KeyRecord{k.principal, k.kind, k.key, fs.Text(0), fs.Text(1), fs.Int(2)};
        return Status();
      }
    }
    Statement& s = *insert_op_;
    std::string error_json = r.error ? internal::ErrorToJson(*r.error) : std::string();
    {
      ResetGuard guard(s);
      s.Bind(1, r.id);
      s.Bind(2, r.principal);
      s.Bind(3, r.type);
      s.Bind(4, static_cast<std::int64_t>(r.status));
      BindOptionalInt(s, 5, r.percent_complete);
      s.Bind(6, r.created_ms);
      s.Bind(7, r.updated_ms);
      if (r.expires_ms) {
        s.Bind(8, *r.expires_ms);
      } else {
        s.BindNull(8);
      }
      if (r.error) {
        s.Bind(9, error_json);
      } else {
        s.BindNull(9);
      }
      if (r.has_result) {
        s.Bind(10, r.result_content_type);
        s.BindBlob(11, r.result);
      } else {
        s.BindNull(10);
        s.BindNull(11);
      }
      if (r.request.empty()) {
        s.BindNull(12);
      } else {
        s.Bind(12, r.request);
      }
      s.Bind(13, r.owner);
      BindOptional(s, 14, r.lease_expires_ms);
      BindOptional(s, 15, r.next_run_ms);
      s.Bind(16, static_cast<std::int64_t>(std::max(1, r.attempts)));
      s.Bind(17, r.display_name);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return SqliteError(writer_, "insert operation");
    }
    outcome.version = 1;
    return Status();
  }

  Status Update(const StoreWrite& write, WriteOutcome& outcome) LRO_REQUIRES(writer_mutex_) {
    const OperationRecord& r = write.record;
    Statement& s = *update_op_;
    std::string error_json = r.error ? internal::ErrorToJson(*r.error) : std::string();
    ResetGuard guard(s);
    s.Bind(1, r.id);
    s.Bind(2, static_cast<std::int64_t>(r.status));
    BindOptionalInt(s, 3, r.percent_complete);
    s.Bind(4, r.updated_ms);
    if (r.expires_ms) {
      s.Bind(5, *r.expires_ms);
    } else {
      s.BindNull(5);
    }
    if (r.error) {
      s.Bind(6, error_json);
    } else {
      s.BindNull(6);
    }
    if (r.has_result) {
      s.Bind(7, r.result_content_type);
      s.BindBlob(8, r.result);
    } else {
      s.BindNull(7);
      s.BindNull(8);
    }
    s.Bind(9, write.expected_version);
    s.Bind(10, r.owner);
    BindOptional(s, 11, r.lease_expires_ms);
    BindOptional(s, 12, r.next_run_ms);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) {
      outcome.version = s.Int(0);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return SqliteError(writer_, "update operation");
    } else if (rc == SQLITE_DONE) {
      outcome.kind = WriteOutcome::Kind::kConflict;
    } else {
      return SqliteError(writer_, "update operation");
    }
    return Status();
  }

  static void BindOptional(Statement& s, int index, const std::optional<std::int64_t>& value) {
    if (value) {
      s.Bind(index, *value);
    } else {
      s.BindNull(index);
    }
  }

  static void BindOptionalInt(Statement& s, int index, const std::optional<int>& value) {
    if (value) {
      s.Bind(index, static_cast<std::int64_t>(*value));
    } else {
      s.BindNull(index);
    }
  }

  sqlite3* writer_ = nullptr;
  Mutex writer_mutex_;  // the writer connection is used by one call at a time
  std::unique_ptr<Statement> insert_op_, update_op_, insert_key_, drop_expired_key_, find_key_,
      claim_, ensure_replica_, replica_lease_, renew_, owned_, owned_cancel_requested_, cancel_,
      begin_, commit_, rollback_, purge_ops_, purge_keys_, purge_replicas_;

  std::vector<sqlite3*> reader_dbs_;
  std::vector<std::unique_ptr<ReadConnection>> readers_;
  Mutex readers_mutex_;
  std::condition_variable readers_available_;
  std::vector<ReadConnection*> free_readers_ LRO_GUARDED_BY(readers_mutex_);
};

}  // namespace

StatusOr<std::shared_ptr<OperationStore>> OpenSqliteStore(const std::string& path,
                                                          SqliteStoreOptions options) {
  auto store = std::make_shared<SqliteStore>();
  if (auto status = store->Open(path, options); !status.ok()) return status;
  return std::shared_ptr<OperationStore>(std::move(store));
}

}  // namespace lro::server
