#include "lro/server/server.h"

#include <condition_variable>
#include <utility>

#include "api/api.h"
#include "http/http_server.h"
#include "runtime/ids.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "runtime/router.h"
#include "runtime/runtime.h"
#include "runtime/state_watchers.h"
#include "server_access.h"
#include "wire/thread_safety.h"

namespace lro::server {

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {
    if (!options.clock) options.clock = SystemClock();
    logger = std::make_unique<internal::Logger>(options.log_level, options.log_sink, options.clock);
  }

  ServerOptions options;
  internal::Router router;
  internal::Metrics metrics;
  std::unique_ptr<internal::Logger> logger;
  std::shared_ptr<OperationStore> store;
  std::unique_ptr<internal::StateWatchers> watchers;
  std::unique_ptr<internal::Runtime> runtime;
  std::unique_ptr<internal::Api> api;
  std::unique_ptr<internal::HttpServer> http;
  std::string public_url;

  Mutex mutex;
  std::condition_variable stopped_cv;
  bool started LRO_GUARDED_BY(mutex) = false;
  bool stopping LRO_GUARDED_BY(mutex) = false;
  bool stopped LRO_GUARDED_BY(mutex) = false;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { Stop(); }

void Server::Route(std::string method, std::string pattern, RouteOptions options, Handler handler) {
  impl_->router.Add(std::move(method), std::move(pattern), std::move(options), std::move(handler));
}

Status Server::Start() {
  Impl& s = *impl_;
  {
    MutexLock lock(s.mutex);
    if (s.started) return Status(StatusCode::kFailedPrecondition, "the server was already started");
    s.started = true;
  }
  const ServerOptions& o = s.options;

  // Per-type settings.
  for (const auto& route : s.router.routes()) {
    const std::string& type = route->options.operation_type;
    auto retry = o.retry_after_by_type.find(type);
    const auto seconds =
        retry != o.retry_after_by_type.end() ? retry->second : route->options.retry_after;
    route->retry_after_s = static_cast<int>(std::max<std::int64_t>(0, seconds.count()));
    if (auto limit = o.concurrency_by_type.find(type); limit != o.concurrency_by_type.end()) {
      route->options.max_concurrency = limit->second;
    }
  }

  s.store = o.store;
  if (!s.store) {
    SqliteStoreOptions sqlite;
    sqlite.fsync = o.fsync;
    auto opened = OpenStore(o.store_url, sqlite);
    if (!opened.ok()) return opened.status();
    s.store = *opened;
  }

  internal::HttpServerOptions http;
  http.host = o.host;
  http.port = o.port;
  http.io_threads = o.io_threads;
  http.max_header_bytes = o.max_header_bytes;
  http.max_body_bytes = o.max_body_bytes;
  http.max_connections = o.max_connections;
  http.idle_timeout = o.idle_timeout;
  s.http = std::make_unique<internal::HttpServer>(http, s.metrics, *s.logger);
  if (auto status = s.http->Bind(); !status.ok()) return status;

  s.public_url = o.public_url;
  if (s.public_url.empty()) {
    std::string host = o.host;
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    s.public_url = "http://" + host + ":" + std::to_string(s.http->port());
  }
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();

  internal::RuntimeConfig config;
  config.render = [render = internal::RenderConfig{o.mode, s.public_url}](
                      internal::Snapshot& snapshot) { internal::RenderSnapshot(render, snapshot); };
  config.state_carries_result = o.mode == Mode::kAzure;
  config.clock = o.clock;
  config.worker_threads = o.worker_threads;
  config.inline_budget = o.inline_budget;
  config.retention = o.retention;
  config.idempotency_window = o.idempotency_window;
  config.purge_interval = o.purge_interval;
  config.purge_batch = std::max<std::size_t>(1, o.purge_batch);
  config.progress_debounce = o.progress_debounce;
  config.shutdown_grace = o.shutdown_grace;
  config.replica_id = o.replica_id;
  if (config.replica_id.empty()) {
    config.replica_id = !o.store && IsPostgresUrl(o.store_url) ? internal::NewReplicaId() : "lrod";
  }
  config.lease = std::max(o.lease, std::chrono::milliseconds(30));
  config.claim_interval = std::min(std::chrono::milliseconds(1000), config.lease / 3);
  config.max_attempts = std::max(1, o.max_attempts);
  s.watchers = std::make_unique<internal::StateWatchers>();
  config.on_commit = [watchers = s.watchers.get()](
                         const std::string& principal,
                         const std::shared_ptr<const internal::Snapshot>& snapshot) {
    watchers->Notify(principal, snapshot);
  };
  s.runtime = std::make_unique<internal::Runtime>(config, s.store, s.router, s.metrics, *s.logger);
  if (auto status = s.runtime->Start(); !status.ok()) {
    s.runtime->Stop();
    return status;
  }

  internal::ApiConfig api;
  api.mode = o.mode;
  api.public_url = s.public_url;
  api.bearer_tokens = o.bearer_tokens;
  api.idempotency_window = o.idempotency_window;
  api.rate_limit = o.rate_limit;
  api.rate_burst = o.rate_burst;
  api.max_wait = std::max(std::chrono::seconds(0), o.max_wait);
  api.watchers = s.watchers.get();
  s.api = std::make_unique<internal::Api>(api, *s.runtime, s.router, s.metrics, *s.logger);
  s.http->Start(*s.api);
  s.logger->Log(LogLevel::kInfo, "listening",
                {{"address", o.host + ":" + std::to_string(s.http->port())},
                 {"publicUrl", s.public_url},
                 {"mode", o.mode == Mode::kFabric ? "fabric" : "azure"},
                 {"auth", o.bearer_tokens.empty() ? "none" : "bearer"}});
  return Status();
}

void Server::Stop() {
  Impl& s = *impl_;
  {
    MutexLock lock(s.mutex);
    if (!s.started) return;
    if (s.stopping) {
      lock.Wait(s.stopped_cv, [&] {
        s.mutex.AssertHeld();
        return s.stopped;
      });
      return;
    }
    s.stopping = true;
  }
  s.logger->Log(LogLevel::kInfo, "shutting down");
  // Held Prefer: wait requests are answered now, so that in-flight requests finish at once.
  if (s.watchers) s.watchers->Stop();
  if (s.http) s.http->Stop();
  if (s.runtime) s.runtime->Stop();
  s.logger->Log(LogLevel::kInfo, "stopped");
  MutexLock lock(s.mutex);
  s.stopped = true;
  s.stopped_cv.notify_all();
}

void Server::Wait() {
  MutexLock lock(impl_->mutex);
  lock.Wait(impl_->stopped_cv, [&] {
    impl_->mutex.AssertHeld();
    return impl_->stopped;
  });
}

std::uint16_t Server::port() const { return impl_->http ? impl_->http->port() : 0; }

std::string Server::public_url() const { return impl_->public_url; }

std::size_t Server::PurgeExpired() { return impl_->runtime ? impl_->runtime->PurgeExpired() : 0; }

internal::Api* internal::ServerAccess::RequestHandling(Server& server) {
  return server.impl_->api.get();
}

}  // namespace lro::server
