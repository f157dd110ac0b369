// Policies and options: how the client waits, retries, scopes credentials and reads a
// convention. Every field has a sensible default.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lro/clock.h"
#include "lro/curl_transport.h"
#include "lro/http.h"
#include "lro/log.h"
#include "lro/status.h"

namespace lro {

class Engine;  // lro/engine.h

using std::chrono::milliseconds;

// When to poll if the server gives no Retry-After (SPEC §4). The n-th wait without a hint is
// initial × multiplier^(n-1), capped at max, then varied by ±jitter (a fraction; 0 = none).
// multiplier 1 gives a fixed interval.
struct PollingPolicy {
  milliseconds initial{1000};
  double multiplier = 1.5;
  milliseconds max{30'000};
  double jitter = 0.2;
  // Lower bound between two polls of one operation, whatever the server says, so that a
  // server answering `Retry-After: 0` forever cannot make the client spin. 0 for benchmarks.
  milliseconds floor{20};
  // Upper bound on a server's hint: larger (or unparseable-as-huge) values are clamped.
  milliseconds max_server_delay{3'600'000};
  // Waiting without polling (lrod's extension of the status monitor, RFC 7240): in an
  // automatic wait (Poller::Wait, the engine), a poll of a status monitor asks
  // `Prefer: wait=N` with N = this, so that a server that supports it holds the request
  // until the state changes (or N seconds pass). Asked on the operation's first such poll, and
  // on later ones only when the server answered `Preference-Applied: wait=…`: every other
  // server is polled as usual. Retry-After (or the policy's interval) still bounds how often
  // the client asks, counted from when the held poll was due. A manual Poll() never asks.
  // 0 = never ask. Capped at half the transport's request timeout.
  std::chrono::seconds prefer_wait{30};

  friend bool operator==(const PollingPolicy&, const PollingPolicy&) = default;

  static PollingPolicy Fixed(milliseconds interval) {
    PollingPolicy p;
    p.initial = interval;
    p.multiplier = 1.0;
    p.max = interval;
    p.jitter = 0.0;
    return p;
  }
};

// Retry of transient failures (SPEC §6: connection errors, 408, 429, 500, 502, 503, 504).
// A failed request is retried after initial × multiplier^(n-1) (capped, ±jitter), or after
// the server's Retry-After when it sends one; after max_attempts failures in a row, polling
// fails with kUnavailable naming the last cause. A success resets the count. Retries never
// change the operation's state.
struct RetryPolicy {
  int max_attempts = 6;
  milliseconds initial{500};
  double multiplier = 2.0;
  milliseconds max{30'000};
  double jitter = 0.2;

  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

// How an operation's polling convention is chosen (SPEC §3).
enum class PollingMode {
  kAuto,                 // detect from the initial response
  kOperationLocation,    // Azure data plane status monitor
  kAzureAsyncOperation,  // ARM status monitor
  kFabric,               // Fabric status monitor (Location / x-ms-operation-id)
  kLocation,             // ARM Location polling
  kBody,                 // provisioningState on the original URL (PUT/PATCH)
  kGoogle,               // Google Operation resource (AIP-151): name + done
};

// Where the result of a POST lives (OpenAPI x-ms-long-running-operation-options, SPEC §5).
enum class FinalStateVia {
  kDefault,              // SPEC §5 defaults per method
  kLocation,             // GET the latest Location
  kOriginalUri,          // GET the original URL
  kAzureAsyncOperation,  // the terminal monitor body is the result
  kOperationLocation,    // the terminal monitor body is the result
};

// How Cancel() reaches the service (SPEC §7).
enum class CancelStyle {
  kAuto,               // POST {monitor}:cancel for status-monitor modes; unsupported otherwise
  kPostMonitorCancel,  // POST {monitor}:cancel (Azure; Google's {prefix}/{name}:cancel; lrod)
  kDeleteMonitor,      // DELETE {monitor} (Graph / architecture guidance)
  kCustom,             // options.cancel_request
  kNone,               // the service has no cancel: Cancel() → kFailedPrecondition
};

// Options of one operation. The defaults follow SPEC; change them for a service that
// documents otherwise.
struct OperationOptions {
  PollingMode mode = PollingMode::kAuto;
  FinalStateVia final_state_via = FinalStateVia::kDefault;
  // Base of the Fabric status URL built from x-ms-operation-id; empty = the initial
  // request's origin.
  std::string fabric_base_url;
  // Add the initial URL's api-version query parameter to polling URLs that lack one.
  bool propagate_api_version = true;
  // For a POST without an idempotency key of the caller's (Repeatability-Request-ID,
  // Idempotency-Key, Operation-Id): add Repeatability-Request-ID + Repeatability-First-Sent,
  // the same on every attempt, so that the initial request is retried after a transient
  // failure like a PUT (SPEC §6). Off: a keyless POST is sent once and never retried.
  bool add_repeatability_headers = true;
  CancelStyle cancel_style = CancelStyle::kAuto;
  // With CancelStyle::kCustom: the request that cancels (absolute URL). Caller headers and
  // credentials are added as for any request of the operation.
  std::optional<HttpRequest> cancel_request;
  // Override the client's policies for this operation.
  std::optional<PollingPolicy> polling;
  std::optional<RetryPolicy> retry;

  friend bool operator==(const OperationOptions&, const OperationOptions&) = default;
};

// Supplies credential headers (e.g. {"Authorization", "Bearer …"}) for each request that may
// carry them (SPEC §8). Called before every such request, so it can refresh tokens.
using CredentialProvider = std::function<StatusOr<Headers>()>;

struct ClientOptions {
  // The one place for libcurl settings (timeouts, CA file, HTTP/2, user agent, body cap): of
  // the transport the blocking face makes, and of the engine the client makes on first use.
  // Set these rather than a transport of your own, which the engine would have to call on
  // its thread.
  CurlTransportOptions curl;
  // Defaults to MakeCurlTransport(curl). A transport given here is used by the asynchronous
  // face too (called on the engine thread, blocking it), which is meant for scripted tests.
  std::shared_ptr<HttpTransport> transport;
  // A transport of your own for the asynchronous face that does not block the engine: used by
  // the engine instead of libcurl (and instead of `transport`). The blocking face ignores it.
  std::shared_ptr<AsyncHttpTransport> async_transport;
  // The engine of StartAsync / ResumeAsync / WatchAsync; shared by as many clients as you like
  // (it then has its own EngineOptions::transport). Defaults to one the client makes on first
  // use, with `curl`.
  std::shared_ptr<Engine> engine;
  // Defaults to SystemClock().
  std::shared_ptr<Clock> clock;
  CredentialProvider credentials;
  // Hosts besides the initial request's origin that may receive credentials: exact names
  // ("login.example.com") or one leading wildcard label ("*.analysis.windows.net").
  std::vector<std::string> allowed_credential_hosts;
  // Caller header names treated as credentials besides the built-in ones (Authorization,
  // Proxy-Authorization, Cookie, api-key, x-api-key, Ocp-Apim-Subscription-Key,
  // x-functions-key): scoped like credentials and never put in a resume token.
  std::vector<std::string> sensitive_headers;
  PollingPolicy polling;
  RetryPolicy retry;
  LogSink log;
  LogLevel log_level = LogLevel::kDebug;
  // Seeds the jitter; 0 = from std::random_device. Tests set it for repeatable delays.
  std::uint64_t random_seed = 0;
};

}  // namespace lro
