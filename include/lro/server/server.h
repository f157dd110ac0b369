// lrod's engine as a library: an HTTP/1.1 server hosting long-running operations with the
// conventions of SPEC §7 and §9, on a durable OperationStore.
//
//   lro::server::ServerOptions options;
//   options.store_url = "sqlite:ops.db";
//   lro::server::Server server(options);
//   server.Route("POST", "/v1/things", {.operation_type = "Thing.Create"}, handler);
//   if (auto status = server.Start(); !status.ok()) …;
//   server.Wait();  // until Stop() from another thread
#pragma once

// The operation runtime and the stores sit below this facade and never include it: their
// sources are compiled with LRO_SERVER_LAYER_BELOW_FACADE (src/server/CMakeLists.txt).
#ifdef LRO_SERVER_LAYER_BELOW_FACADE
#error "src/server/runtime and src/server/store must not include lro/server/server.h"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "lro/clock.h"
#include "lro/log.h"
#include "lro/server/handler.h"
#include "lro/server/mode.h"
#include "lro/server/store.h"
#include "lro/status.h"

namespace lro::server {

namespace internal {
struct ServerAccess;  // src/server/server_access.h
}  // namespace internal

// The client library's levels: one vocabulary for every lro log.
using LogLevel = lro::LogLevel;

struct ServerOptions {
  // Where to listen. Port 0 picks a free port (see Server::port()).
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  // Base of every Location / Operation-Location, e.g. "https://api.example.com". Never taken
  // from the Host header. Empty = "http://HOST:PORT" of the bound socket.
  std::string public_url;
  Mode mode = Mode::kFabric;

  // "sqlite:PATH" or "postgres://…" (see OpenStore), used when `store` is null.
  std::string store_url = "sqlite:lrod.db";
  bool fsync = true;
  // A store to use instead of opening store_url (tests, other backends).
  std::shared_ptr<OperationStore> store;

  // Replicas (several lrod on one PostgreSQL database; see docs/operations.md). This one's
  // name in the store: empty = "lrod" for SQLite (one process per file), a random one per
  // start for PostgreSQL. A stable name (unique among live replicas) lets a restarted replica
  // take its own unfinished work back at once instead of after its lease.
  std::string replica_id;
  // A replica holds what it runs under one lease, renewed every lease / 3 (one write however
  // many operations); a peer takes over the operations of a replica whose lease expired (it
  // died or stalled).
  std::chrono::milliseconds lease = std::chrono::seconds(10);
  // Starts of one operation's work (the first and each takeover) before a takeover fails it.
  int max_attempts = 3;

  // Bearer token → principal. Empty = no authentication: every caller is "anonymous".
  std::map<std::string, std::string> bearer_tokens;

  // Threads serving HTTP, and threads running work.
  int io_threads = 1;
  int worker_threads = 8;

  // A Start that finishes within this budget answers 200/201/204 with its result instead of
  // 202. 0 = always 202.
  std::chrono::milliseconds inline_budget{200};
  // Finished operations stay readable this long, then are purged (an expired id is a 404).
  std::chrono::milliseconds retention = std::chrono::hours(24);
  // Idempotency keys are honoured this long after first use; Repeatability-First-Sent older
  // than this is rejected with 412 (SPEC §7 asks for ≥ 5 min).
  std::chrono::milliseconds idempotency_window = std::chrono::hours(24);
  // Retention passes run this often, deleting at most purge_batch operations per transaction.
  std::chrono::milliseconds purge_interval = std::chrono::minutes(1);
  std::size_t purge_batch = 1000;
  // Minimum time between two progress writes of one operation.
  std::chrono::milliseconds progress_debounce{250};
  // GET /v1/operations/{id} with `Prefer: wait=N` (RFC 7240) is held until the operation's
  // state changes or min(N, max_wait) seconds pass, then answered with
  // `Preference-Applied: wait=…`. 0 = Prefer: wait is ignored.
  std::chrono::seconds max_wait{60};

  // Retry-After (seconds) by operation type, overriding RouteOptions::retry_after.
  std::map<std::string, std::chrono::seconds> retry_after_by_type;
  // Concurrency limit by operation type, overriding RouteOptions::max_concurrency.
  std::map<std::string, int> concurrency_by_type;

  // Per-caller token bucket: requests per second and burst. 0 = no throttling.
  double rate_limit = 0;
  double rate_burst = 0;  // 0 = max(1, rate_limit)

  // Bounds on a request: request line + headers, and body (413 beyond).
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::size_t max_connections = 10'000;
  // A keep-alive connection idle this long, or a request slower than this, is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // On Stop: how long running steps get to finish before lrod stops waiting for them.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);

  // Every time lrod reads: timestamps, retention, leases, timers (ContinueAfter steps, inline
  // budgets, progress debouncing), log lines; defaults to lro::SystemClock(). Tests inject
  // lro::testing::FakeClock to expire operations without waiting; a timer then fires only once
  // the test has moved the clock past its deadline.
  std::shared_ptr<Clock> clock;

  // Structured logs, one JSON object per line. Default: stderr. Every request is logged at
  // kDebug, lifecycle events at kInfo.
  LogLevel log_level = LogLevel::kInfo;
  std::function<void(std::string_view line)> log_sink;
};

// Reads a bearer-token file: {"tokens": {"<token>": "<principal>", …}}.
StatusOr<std::map<std::string, std::string>> LoadBearerTokens(const std::string& path);

class Server {
 public:
  explicit Server(ServerOptions options);
  // Stop()s if running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  // Adds a route: `method` ("GET", "POST", …) and a path pattern whose segments are literals
  // or {name} (matching one non-empty segment), e.g. "/v1/workspaces/{ws}/items/{id}".
  // REQUIRES: before Start(); /v1/operations… and /metrics are lrod's own.
  void Route(std::string method, std::string pattern, RouteOptions options, Handler handler);

  // Opens the store, recovers the operations a previous run left unfinished (re-run when
  // idempotent, else failed), binds and serves on background threads. Returns once listening.
  Status Start();

  // Graceful: stops accepting, finishes in-flight requests, lets running steps end (up to
  // shutdown_grace), commits what they produced and closes the store. Unfinished operations
  // stay in the store for the next start. Idempotent; safe from any thread but a handler's.
  void Stop();

  // Blocks until Stop() has completed.
  void Wait();

  // The bound port (after Start), and the base URL of Locations.
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::string public_url() const;

  // Runs a retention pass now (normally every purge_interval); returns how many operations it
  // purged. REQUIRES: started.
  std::size_t PurgeExpired();

 private:
  friend struct internal::ServerAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lro::server
