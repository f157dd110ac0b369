// Where lrod keeps operations: the OperationStore interface, the embedded SQLite store and the
// PostgreSQL store that many lrod replicas share.
//
// Many writers: every replica (and, inside one, its group-commit thread) writes the same
// records. So every operation carries a version (a fencing counter, 1 at insert and one more
// at every state write) and every state write is conditional on the version its writer holds:
// a write made from an older version is refused and reported as a conflict, never applied.
// A running operation has an owner (the replica running it) and a lease. The lease is the
// later of the operation's own (set when it was inserted, claimed or updated) and its owner's:
// a replica renews one lease for everything it runs (one write per heartbeat, whatever the
// number of operations), and a replica claims work whose lease expired. Idempotency keys are
// inserted if absent: the first writer wins, the others learn which operation holds the key. Every
// method is thread-safe. Times are milliseconds since the Unix epoch, from the caller's (injected)
// clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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
  // What its creator named it (Reply::Start), shown in listings; empty = unnamed. Set by the
  // insert, never updated.
  std::string display_name;
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

  // Fencing counter: 1 after the insert, one more after every applied update or claim.
  // Lease renewals and cancel requests do not change it.
  std::int64_t version = 0;
  // The replica running it (empty = nobody: claimable once next_run_ms is due), and until when
  // the operation's own lease holds; it is held as long as that or its owner's lease (see
  // RenewLease) holds. Meaningful while unfinished.
  std::string owner;
  std::optional<std::int64_t> lease_expires_ms;
  // A caller asked to cancel it (persisted: any replica may receive the request).
  bool cancel_requested = false;
  // When its next step is due (a ContinueAfter); nullopt = now.
  std::optional<std::int64_t> next_run_ms;
  // How many times a replica has started (or taken over) its work: 1 after the insert.
  int attempts = 0;

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
    // A new operation: every field of `record` but version (it becomes 1) and
    // cancel_requested. With `key`, the key is inserted first if absent (or expired at
    // record.created_ms); when another operation holds it, neither is written (kKeyTaken).
    kInsert,
    // An existing one, if its version is still `expected_version`: status, percent_complete,
    // updated_ms, expires_ms, error, result, owner, lease_expires_ms, next_run_ms; version
    // becomes expected_version + 1. Otherwise nothing is written (kConflict).
    kUpdate,
  };
  Kind kind = Kind::kInsert;
  OperationRecord record;
  std::optional<KeyRecord> key;       // kInsert only: recorded in the same transaction
  std::int64_t expected_version = 0;  // kUpdate only
};

// What became of one write of a Commit.
struct WriteOutcome {
  enum class Kind {
    kApplied,
    kConflict,  // kUpdate: the operation is gone or its version moved on (someone else wrote)
    kKeyTaken,  // kInsert: another operation holds the key; see `key_holder`
  };
  Kind kind = Kind::kApplied;
  std::int64_t version = 0;             // kApplied: the version written
  std::optional<KeyRecord> key_holder;  // kKeyTaken: the key as stored (the first writer's)
};

// Claim: runnable work for `owner`. Runnable = unfinished, and either it has no owner or both
// its own lease and its owner's have expired, while its next_run_ms is due; or `owner` holds it
// under an own lease that expires before reclaim_own_expiring_before_ms.
struct ClaimQuery {
  std::string owner;
  std::int64_t now_ms = 0;
  std::int64_t lease_ms = 10'000;
  std::size_t limit = 100;
  // Also take back what `owner` holds under a lease expiring before this instant (0 = none): a
  // restarted replica with a stable id is its own predecessor, which is dead. A claim made now
  // expires at now_ms + lease_ms, so a replica passing its start time + lease_ms takes back
  // what its predecessor held and never what it has claimed since it started.
  std::int64_t reclaim_own_expiring_before_ms = 0;
};

// One operation a replica owns, as RenewLease reports it.
struct LeaseState {
  std::string id;
  std::int64_t version = 0;
  bool cancel_requested = false;
};

// What RenewLease found.
struct LeaseRenewal {
  // The owner's previous lease ended before the renewal's full_check_before_ms (or it had none):
  // a peer may have claimed any of its operations meanwhile, so `operations` lists every
  // unfinished operation it still owns (one it runs that is missing was taken over). Otherwise
  // `operations` lists only those with a cancel request.
  bool complete = false;
  std::vector<LeaseState> operations;
};

// A page of List. Order: created_ms, then id, ascending.
struct ListQuery {
  std::string principal;
  std::optional<OperationStatus> status;
  std::string type;         // empty = any
  std::int64_t now_ms = 0;  // operations with expires_ms <= now_ms are left out
  std::size_t limit = 100;
  // Pages in (created_ms, id) order, oldest first; with newest_first, the other way round.
  bool newest_first = false;
  // Continue after this (created_ms, id) in that order; nullopt = from the start. Operations
  // created meanwhile never shift a later page: newest first, they sort before the start.
  std::optional<std::pair<std::int64_t, std::string>> after;
};

struct ListPage {
  std::vector<OperationRecord> operations;  // without result bytes or request
  bool more = false;                        // another page follows
};

class OperationStore {
 public:
  OperationStore() = default;
  OperationStore(const OperationStore&) = default;
  OperationStore& operator=(const OperationStore&) = default;
  OperationStore(OperationStore&&) = default;
  OperationStore& operator=(OperationStore&&) = default;
  virtual ~OperationStore() = default;

  // Applies `writes` in order in one transaction and returns once it is durable (with fsync
  // on, it survives a power cut), with one outcome per write. A write that conflicts (or whose
  // key is taken) is skipped; the others are applied. An error means none was applied.
  virtual StatusOr<std::vector<WriteOutcome>> Commit(const std::vector<StoreWrite>& writes) = 0;

  // Deletes up to `limit` operations whose expires_ms <= now_ms, expired keys, and replicas
  // whose lease ended a day before now_ms and who own no unfinished operation. Returns the
  // number of operations deleted. When replicas purge at once, one does it, the others get 0.
  virtual StatusOr<std::size_t> PurgeExpired(std::int64_t now_ms, std::size_t limit) = 0;

  // Claims up to query.limit runnable operations (see ClaimQuery) for query.owner: each gets
  // that owner, a lease until now_ms + lease_ms, one more attempt and one more version.
  // Returned as claimed, with their request. Two replicas never claim the same operation.
  virtual StatusOr<std::vector<OperationRecord>> Claim(const ClaimQuery& query) = 0;
  // Extends `owner`'s lease (the replica's, which covers every operation it owns) to
  // lease_expires_ms: one write, however many operations it runs. Reports its operations with
  // a cancel request, or all of them when its previous lease ended before
  // full_check_before_ms (see LeaseRenewal).
  virtual StatusOr<LeaseRenewal> RenewLease(std::string_view owner, std::int64_t lease_expires_ms,
                                            std::int64_t full_check_before_ms) = 0;
  // Persists a cancel request for an unfinished operation. True when it is unfinished (the
  // request is recorded, now or before), false when it is finished or unknown.
  virtual StatusOr<bool> RequestCancel(std::string_view id) = 0;

  // Reads see every committed write and never block writers.
  // The operation `id`, or nullopt. Without `with_result` the result bytes are left empty.
  virtual StatusOr<std::optional<OperationRecord>> Get(std::string_view id, bool with_result) = 0;
  virtual StatusOr<std::optional<KeyRecord>> FindKey(std::string_view principal, KeyKind kind,
                                                     std::string_view key) = 0;
  virtual StatusOr<ListPage> List(const ListQuery& query) = 0;
  // How many operations are stored in each status (statuses with none are left out).
  virtual StatusOr<std::vector<std::pair<OperationStatus, std::int64_t>>> CountByStatus() = 0;

  // Wake-ups from other writers of the same data: `wake` is called (from a thread of the
  // store's) soon after another process requested a cancel or released work for anyone to
  // claim. A hint only — callers still poll, so a lost wake-up only delays. Null stops them.
  // The default (one process per store, as SQLite) never calls it.
  // By value: overrides keep `wake`; only this default drops it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void SetWakeUp(std::function<void()> wake) { (void)wake; }
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

struct PostgresStoreOptions {
  // Connections kept open (writes, claims and reads each borrow one).
  int connections = 4;
  // synchronous_commit for this store's transactions. Off = a server crash may lose the last
  // commits (never corrupts). For tests and benchmarks that measure without fsync.
  bool synchronous_commit = true;
};

// Connects to PostgreSQL (`conninfo`: a postgres:// or postgresql:// URL, or "host=… dbname=…"),
// and creates or migrates lrod's schema under an advisory lock (replicas may start at once).
StatusOr<std::shared_ptr<OperationStore>> OpenPostgresStore(const std::string& conninfo,
                                                            PostgresStoreOptions options = {});

// True when `url` names a PostgreSQL database (postgres://, postgresql:// or "key=value …").
[[nodiscard]] bool IsPostgresUrl(std::string_view url);

// Opens a store from a URL: "sqlite:PATH" (or a bare path), or a PostgreSQL one (see
// IsPostgresUrl). kInvalidArgument for anything else. `fsync` off: see the store options.
StatusOr<std::shared_ptr<OperationStore>> OpenStore(std::string_view url,
                                                    SqliteStoreOptions sqlite_options = {});

}  // namespace lro::server
