// Where lrod keeps operations: the OperationStore interface and the embedded SQLite store.
//
// The runtime is the only writer: one thread batches many writes into one Commit (group
// commit) and publishes a state to readers only after its Commit returned. Reads may come from
// any thread. Times are milliseconds since the Unix epoch, from the runtime's clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lro/server/error.h"
#include "lro/status.h"

namespace lro::server {

// The lifecycle of an operation. Values are stored: never renumber.
enum class OperationStatus : int {
  kNotStarted = 0,  // accepted, waiting for an executor slot
  kRunning = 1,
  kSucceeded = 2,
  kFailed = 3,
  kCanceled = 4,  // Fabric mode shows it as Failed with errorCode OperationCanceled (SPEC §9)
};

[[nodiscard]] bool IsTerminal(OperationStatus status);
// "NotStarted", "Running", "Succeeded", "Failed", "Canceled".
[[nodiscard]] const char* OperationStatusName(OperationStatus status);
// The inverse of OperationStatusName, case-insensitive.
[[nodiscard]] std::optional<OperationStatus> ParseOperationStatus(std::string_view name);

// One operation as stored.
struct OperationRecord {
  std::string id;         // UUID v4
  std::string principal;  // who created it; the only caller who may see it
  std::string type;       // the route's operation type, e.g. "Item.Create"
  OperationStatus status = OperationStatus::kNotStarted;
  std::optional<int> percent_complete;  // 0–100; nullopt = not reported
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  // Set when the operation finished: from then on it may be purged. nullopt while running.
  std::optional<std::int64_t> expires_ms;
  std::optional<ErrorInfo> error;  // Failed / Canceled
  bool has_result = false;
  std::string result_content_type;
  std::string result;  // bytes; empty unless has_result (and may be empty with it)
  // How to run the operation again after a restart (opaque to the store); empty = it cannot be.
  std::string request;

  friend bool operator==(const OperationRecord&, const OperationRecord&) = default;
};

// The kinds of idempotency keys of SPEC §7. Values are stored: never renumber.
enum class KeyKind : int {
  kRepeatabilityRequestId = 0,  // Repeatability-Request-ID (+ Repeatability-First-Sent)
  kIdempotencyKey = 1,          // Idempotency-Key
  kOperationId = 2,             // Operation-Id
};

// Which operation a caller's idempotency key created. Keys are scoped by principal.
struct KeyRecord {
  std::string principal;
  KeyKind kind = KeyKind::kIdempotencyKey;
  std::string key;
  std::string fingerprint;  // of the request that used the key first
  std::string operation_id;
  std::int64_t expires_ms = 0;

  friend bool operator==(const KeyRecord&, const KeyRecord&) = default;
};

// One write of a Commit.
struct StoreWrite {
  enum class Kind {
    kInsert,  // a new operation: every field of `record`
    kUpdate,  // an existing one: status, percent_complete, updated_ms, expires_ms, error, result
  };
  Kind kind = Kind::kInsert;
  OperationRecord record;
  std::optional<KeyRecord> key;  // kInsert only: recorded in the same transaction
};

// A page of List. Order: created_ms, then id, ascending.
struct ListQuery {
  std::string principal;
  std::optional<OperationStatus> status;
  std::string type;         // empty = any
  std::int64_t now_ms = 0;  // operations with expires_ms <= now_ms are left out
  std::size_t limit = 100;
  // Continue after this (created_ms, id); nullopt = from the start.
  std::optional<std::pair<std::int64_t, std::string>> after;
};

struct ListPage {
  std::vector<OperationRecord> operations;  // without result bytes or request
  bool more = false;                        // another page follows
};

class OperationStore {
 public:
  virtual ~OperationStore() = default;

  // Applies `writes` in order, all or nothing, and returns once they are durable (with fsync
  // on, they survive a power cut). An error means none was applied. Only one thread calls
  // Commit or PurgeExpired at a time.
  virtual Status Commit(const std::vector<StoreWrite>& writes) = 0;

  // Deletes up to `limit` operations whose expires_ms <= now_ms, and expired keys. Returns the
  // number of operations deleted. Same threading rule as Commit.
  virtual StatusOr<std::size_t> PurgeExpired(std::int64_t now_ms, std::size_t limit) = 0;

  // Reads see every committed write. Thread-safe.
  // The operation `id`, or nullopt. Without `with_result` the result bytes are left empty.
  virtual StatusOr<std::optional<OperationRecord>> Get(std::string_view id, bool with_result) = 0;
  virtual StatusOr<std::optional<KeyRecord>> FindKey(std::string_view principal, KeyKind kind,
                                                     std::string_view key) = 0;
  virtual StatusOr<ListPage> List(const ListQuery& query) = 0;
  // Every operation not yet finished (NotStarted or Running), with its request.
  virtual StatusOr<std::vector<OperationRecord>> LoadUnfinished() = 0;
  // How many operations are stored in each status (statuses with none are left out).
  virtual StatusOr<std::vector<std::pair<OperationStatus, std::int64_t>>> CountByStatus() = 0;
};

struct SqliteStoreOptions {
  // synchronous=FULL (fsync at every commit). Off = synchronous=NORMAL: a power cut may lose
  // the last commits (never corrupts). For tests and benchmarks that measure without fsync.
  bool fsync = true;
  // Connections kept for reads (each read borrows one).
  int read_connections = 4;
  // Page size of a new database file (ignored for an existing one).
  int page_size = 1024;
  // WAL pages between two automatic checkpoints.
  int wal_autocheckpoint_pages = 8192;
  // Page cache of the writer connection, in KiB. Not "as large as possible": SQLite 3.40
  // scans the whole page-cache hash table at the end of every write transaction that split a
  // b-tree page (which a random-id index does at nearly every group commit), so each commit
  // costs time proportional to this size. 8 MiB keeps the hot index pages cached while that
  // scan stays a few tens of microseconds; 64 MiB made it ~10% of the writer's CPU.
  int writer_cache_kib = 8 * 1024;
};

// Opens (creating if needed) a SQLite database in WAL mode: one file plus its -wal and -shm.
StatusOr<std::shared_ptr<OperationStore>> OpenSqliteStore(const std::string& path,
                                                          SqliteStoreOptions options = {});

// Opens a store from a URL: "sqlite:PATH" (or a bare path). "postgres://…" is recognised but
// not built yet (kFailedPrecondition). kInvalidArgument for anything else.
StatusOr<std::shared_ptr<OperationStore>> OpenStore(std::string_view url,
                                                    SqliteStoreOptions sqlite_options = {});

}  // namespace lro::server
