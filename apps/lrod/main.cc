// lrod: the LRO infrastructure server. Thin: parses flags, builds a lro::server::Server,
// waits for SIGTERM/SIGINT, stops gracefully.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lro/server/demo.h"
#include "lro/server/server.h"
#include "wire/duration.h"

namespace {

using std::chrono::milliseconds;

using lro::wire::ParseDuration;

// A CLI11 validator for durations.
struct DurationValidator : CLI::Validator {
  DurationValidator() {
    name_ = "DURATION";
    func_ = [](std::string& text) {
      return ParseDuration(text) ? std::string()
                                 : "not a duration (e.g. 250ms, 30s, 5m, 24h): " + text;
    };
  }
};

// "TYPE=VALUE" pairs.
bool SplitPair(const std::string& text, std::string& key, long long& value) {
  const auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) return false;
  key = text.substr(0, eq);
  const char* begin = text.data() + eq + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end && begin != end && value >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lrod: the LRO infrastructure server.\n"
      "Hosts long-running operations with the Fabric (or Azure) conventions on a durable store:\n"
      "202 + Location + x-ms-operation-id, GET /v1/operations/{id}, GET "
      "/v1/operations/{id}/result,\n"
      "POST /v1/operations/{id}:cancel (or DELETE /v1/operations/{id}), GET /v1/operations (the\n"
      "caller's operations: ?status=&type=&top=&continuationToken=), GET /metrics (Prometheus),\n"
      "GET /healthz. SIGTERM or SIGINT stops gracefully: no new connections, in-flight requests\n"
      "finish, unfinished operations stay in the store for the next start.",
      "lrod"};
  app.get_formatter()->column_width(40);
  app.set_version_flag("--version", std::string("lrod ") + LRO_VERSION);

  std::string listen = "127.0.0.1:8080";
  std::string store = "sqlite:lrod.db";
  std::string public_url;
  std::string replica_id;
  std::string lease = "10s";
  int max_attempts = 3;
  std::string mode = "fabric";
  std::string auth_file;
  bool demo = false;
  int io_threads = 1;
  int workers = 8;
  std::string inline_budget = "200ms";
  std::string retention = "24h";
  std::string idempotency_window = "24h";
  std::string purge_interval = "1m";
  std::size_t purge_batch = 1000;
  std::string progress_debounce = "250ms";
  std::string max_wait = "60s";
  std::vector<std::string> retry_after;
  std::vector<std::string> concurrency;
  double rate_limit = 0;
  double rate_burst = 0;
  std::size_t max_body = std::size_t{1024} * 1024;
  std::size_t max_header = std::size_t{16} * 1024;
  std::size_t max_connections = 10'000;
  std::string idle_timeout = "60s";
  std::string shutdown_grace = "10s";
  bool no_fsync = false;
  std::string log_level = "info";
  std::string demo_duration = "0ms";
  int demo_progress_steps = 4;
  std::string demo_effects_file;
  const DurationValidator duration;

  app.set_config("--config", "",
                 "Read options from a TOML/INI file whose keys are the long option names, "
                 "e.g. listen = \"0.0.0.0:8080\"; flags on the command line win");
  // A mistyped key in the file must not be ignored silently.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--listen", listen, "HOST:PORT to listen on ([::1]:8080 for IPv6; port 0 = any)")
      ->capture_default_str();
  app.add_option("--store", store,
                 "Where operations are kept: sqlite:PATH (one file, WAL mode; created if needed), "
                 "or PostgreSQL, which many replicas share: postgres://USER@HOST:PORT/DB, "
                 "postgresql://… or a libpq conninfo \"host=… dbname=…\" (schema created and "
                 "migrated at start)")
      ->capture_default_str();
  app.add_option("--replica-id", replica_id,
                 "This replica's name in the store (default: lrod for SQLite, random per start "
                 "for PostgreSQL). Stable and unique among live replicas, it lets a restarted "
                 "replica take its own unfinished work back at once");
  app.add_option("--lease", lease,
                 "A replica holds what it runs under one lease it renews every lease/3; "
                 "a peer takes over the operations of a replica whose lease expired (it died or "
                 "stalled)")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--max-attempts", max_attempts,
                 "Starts of one operation's work (the first and each takeover) before a "
                 "takeover fails it")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--public-url", public_url,
                 "Base URL of every Location / Operation-Location, e.g. https://api.example.com "
                 "(default: http://HOST:PORT of --listen). Never taken from the Host header");
  app.add_option("--mode", mode,
                 "fabric: 202 + Location + x-ms-operation-id, Fabric state body, no Canceled "
                 "status (Failed + OperationCanceled), ErrorResponse errors. azure: 202 + "
                 "Operation-Location, monitor {id,status,error,result}, Canceled, Azure errors")
      ->check(CLI::IsMember({"fabric", "azure"}))
      ->capture_default_str();
  app.add_option("--auth", auth_file,
                 "Bearer-token file: {\"tokens\": {\"<token>\": \"<principal>\"}}. A caller sees "
                 "only its own operations. Without it every caller is one anonymous principal")
      ->check(CLI::ExistingFile);
  app.add_flag(
      "--demo", demo,
      "Mount the demo service: POST /v1/workspaces/{ws}/items {\"displayName\",\"type\":"
      "\"Notebook\",\"demo\":{\"durationMs\",\"progressSteps\",\"failWith\",\"noResult\"}}, "
      "GET /v1/workspaces/{ws}/items[/{id}]");
  app.add_option("--demo-duration", demo_duration,
                 "Demo: how long item creation takes when the request has no demo.durationMs")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--demo-progress-steps", demo_progress_steps,
                 "Demo: progress reports when the request has no demo.progressSteps")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app.add_option("--demo-effects-file", demo_effects_file,
                 "Demo: a file where each item creation is recorded once per operation (its "
                 "operation id on a line), even when a replica re-runs it after a takeover");
  app.add_option("--io-threads", io_threads, "Threads serving HTTP")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--workers", workers, "Threads running operations' work")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--inline-budget", inline_budget,
                 "An operation that finishes within this time answers 200/201/204 with its "
                 "result instead of 202 (0 = always 202)")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--retention", retention,
                 "Finished operations stay readable this long, then are purged (404)")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--idempotency-window", idempotency_window,
                 "Repeatability-Request-ID / Idempotency-Key / Operation-Id are honoured this "
                 "long; an older Repeatability-First-Sent is refused with 412")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--purge-interval", purge_interval, "How often retention runs")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--purge-batch", purge_batch, "Operations deleted per retention transaction")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--progress-debounce", progress_debounce,
                 "Minimum time between two stored progress updates of one operation")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--max-wait", max_wait,
                 "GET /v1/operations/{id} with 'Prefer: wait=N' is held until the state changes "
                 "or min(N, this) passes, then answered with 'Preference-Applied: wait=...' "
                 "(whole seconds; 0 = ignore Prefer: wait)")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--retry-after", retry_after,
                 "TYPE=SECONDS: Retry-After on the 202 and running states of an operation "
                 "type (repeatable; the demo's type is Item.Create; default 1)");
  app.add_option("--concurrency", concurrency,
                 "TYPE=N: at most N work steps of an operation type at once (repeatable; "
                 "default: --workers)");
  app.add_option("--rate-limit", rate_limit,
                 "Requests per second per caller (token bucket); beyond: 429 + Retry-After. "
                 "0 = off")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--rate-burst", rate_burst, "Token bucket size (0 = max(1, --rate-limit))")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-body", max_body, "Largest request body in bytes (413 beyond)")
      ->capture_default_str();
  app.add_option("--max-header", max_header, "Largest request line + headers in bytes (431 beyond)")
      ->capture_default_str();
  app.add_option("--max-connections", max_connections,
                 "Open connections beyond this are answered 503 (Retry-After: 1) and closed")
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout,
                 "Close a keep-alive connection idle this long; a request not received within "
                 "it is answered 408")
      ->check(duration)
      ->capture_default_str();
  app.add_option("--shutdown-grace", shutdown_grace,
                 "On SIGTERM, how long running work gets to finish")
      ->check(duration)
      ->capture_default_str();
  app.add_flag("--no-fsync", no_fsync,
               "Do not fsync at each commit (SQLite synchronous=NORMAL): a power cut may lose "
               "the last commits. Benchmarks and tests only");
  app.add_option("--log-level", log_level,
                 "Logs are JSON lines on stderr; debug logs every request")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  lro::server::ServerOptions options;
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "lrod: --listen must be HOST:PORT\n";
    return 2;
  }
  options.host = listen.substr(0, colon);
  if (options.host.size() >= 2 && options.host.front() == '[' && options.host.back() == ']') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  unsigned port = 0;
  {
    const std::string text = listen.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || ptr != text.data() + text.size() || port > 65535) {
      std::cerr << "lrod: bad port in --listen " << listen << "\n";
      return 2;
    }
  }
  options.port = static_cast<std::uint16_t>(port);
  options.store_url = store;
  options.replica_id = replica_id;
  options.lease = *ParseDuration(lease);
  options.max_attempts = max_attempts;
  options.fsync = !no_fsync;
  options.public_url = public_url;
  options.mode = mode == "azure" ? lro::server::Mode::kAzure : lro::server::Mode::kFabric;
  if (!auth_file.empty()) {
    auto tokens = lro::server::LoadBearerTokens(auth_file);
    if (!tokens.ok()) {
      std::cerr << "lrod: " << tokens.status().message() << "\n";
      return 2;
    }
    options.bearer_tokens = std::move(*tokens);
  }
  options.io_threads = io_threads;
  options.worker_threads = workers;
  options.inline_budget = *ParseDuration(inline_budget);
  options.retention = *ParseDuration(retention);
  options.idempotency_window = *ParseDuration(idempotency_window);
  options.purge_interval = *ParseDuration(purge_interval);
  options.purge_batch = purge_batch;
  options.progress_debounce = *ParseDuration(progress_debounce);
  options.max_wait = std::chrono::duration_cast<std::chrono::seconds>(*ParseDuration(max_wait));
  options.idle_timeout = *ParseDuration(idle_timeout);
  options.shutdown_grace = *ParseDuration(shutdown_grace);
  for (const auto& pair : retry_after) {
    std::string type;
    long long seconds = 0;
    if (!SplitPair(pair, type, seconds)) {
      std::cerr << "lrod: --retry-after wants TYPE=SECONDS, got " << pair << "\n";
      return 2;
    }
    options.retry_after_by_type[type] = std::chrono::seconds(seconds);
  }
  for (const auto& pair : concurrency) {
    std::string type;
    long long limit = 0;
    if (!SplitPair(pair, type, limit) || limit > 1'000'000) {
      std::cerr << "lrod: --concurrency wants TYPE=N, got " << pair << "\n";
      return 2;
    }
    options.concurrency_by_type[type] = static_cast<int>(limit);
  }
  options.rate_limit = rate_limit;
  options.rate_burst = rate_burst;
  options.max_body_bytes = max_body;
  options.max_header_bytes = max_header;
  options.max_connections = max_connections;
  options.log_level = log_level == "debug"     ? lro::server::LogLevel::kDebug
                      : log_level == "warning" ? lro::server::LogLevel::kWarning
                      : log_level == "error"   ? lro::server::LogLevel::kError
                                               : lro::server::LogLevel::kInfo;

  // Signals are taken by sigwait below, never by a handler on a random thread: block them
  // before any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  lro::server::Server server(options);
  if (demo) {
    lro::server::DemoOptions demo_options;
    demo_options.default_duration = *ParseDuration(demo_duration);
    demo_options.default_progress_steps = demo_progress_steps;
    demo_options.effects_file = demo_effects_file;
    lro::server::RegisterDemoService(server, demo_options);
  }
  if (auto status = server.Start(); !status.ok()) {
    std::cerr << "lrod: " << status.message() << "\n";
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  // A second signal, or work that ignores the shutdown, must not keep the process alive:
  // every accepted operation is already durable.
  const auto hard_deadline = options.shutdown_grace + std::chrono::seconds(10);
  std::thread([hard_deadline, signals]() mutable {
    const auto deadline = std::chrono::steady_clock::now() + hard_deadline;
    bool again = false;
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds(0)) break;
      struct timespec wait {};
      wait.tv_sec =
          static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(left).count());
      wait.tv_nsec = static_cast<long>((left - std::chrono::seconds(wait.tv_sec)).count());
      siginfo_t info{};
      if (sigtimedwait(&signals, &info, &wait) > 0) {
        again = true;
        break;
      }
      // EINTR (a debugger, the leak checker at exit): wait on.
    }
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"%s\"}\n",
                 again ? "second signal: exiting now" : "shutdown took too long: exiting now");
    _exit(1);
  }).detach();
  server.Stop();
  return 0;
}
