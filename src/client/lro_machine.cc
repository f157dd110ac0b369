#include "client/lro_machine.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <cctype>
#include <random>
#include <utility>

#include "client/ascii.h"
#include "client/google_operation.h"
#include "client/resume_token.h"
#include "client/service_error_parse.h"
#include "client/url.h"

namespace lro::internal {
namespace {

// True when a Preference-Applied header names the `wait` preference (RFC 7240 §3).
bool WaitApplied(const Headers& headers) {
  const auto applied = FindHeader(headers, "Preference-Applied");
  if (!applied) return false;
  std::string_view rest = *applied;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    item = item.substr(0, item.find_first_of("=;"));
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsIgnoreCase(item, "wait")) return true;
  }
  return false;
}

bool IsOneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  const std::string lower = AsciiLower(name);
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view candidate) { return lower == candidate; });
}

// Headers that describe the initial request's body or make it conditional or idempotent:
// repeating them on a GET poll would be wrong.
bool IsNotCarried(std::string_view name) {
  return IsOneOf(name, {"content-type", "content-length", "content-encoding", "content-md5",
                        "content-language", "transfer-encoding", "host", "connection", "expect",
                        "te", "upgrade", "repeatability-request-id", "repeatability-first-sent",
                        "operation-id", "idempotency-key", "if-match", "if-none-match",
                        "if-modified-since", "if-unmodified-since"});
}

bool IsBuiltInCredential(std::string_view name) {
  return IsOneOf(name, {"authorization", "proxy-authorization", "cookie", "api-key", "x-api-key",
                        "ocp-apim-subscription-key", "x-functions-key"});
}

// A caller's own idempotency key (SPEC §6): the POST may then be retried, and is sent as given.
bool HasIdempotencyKey(const Headers& headers) {
  return (FindHeader(headers, "Repeatability-Request-ID") &&
          FindHeader(headers, "Repeatability-First-Sent")) ||
         FindHeader(headers, "Idempotency-Key") || FindHeader(headers, "Operation-Id");
}

bool IsTransientHttpStatus(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

std::optional<boost::json::value> ParseBody(std::string_view body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  return value;
}

// Why `body` is not JSON, for the message of a protocol error.
std::string JsonParseError(std::string_view body) {
  boost::system::error_code ec;
  boost::json::stream_parser parser;
  const std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) return "no error";
  return ec.message() + " at byte " + std::to_string(used);
}

// True when the response says its body is JSON: the protocol must then be able to read it.
bool DeclaresJson(const HttpResponse& response) {
  Result typed;
  typed.content_type = std::string(FindHeader(response.headers, "Content-Type").value_or(""));
  return !typed.content_type.empty() && typed.IsJson();
}

// A protocol error for a JSON answer that does not parse (SPEC §3 step 7): never a success.
Status UnreadableJson(const std::string& what, const HttpResponse& response) {
  std::string message = what + " answered HTTP " + std::to_string(response.status) +
                        " with a JSON body that does not parse (" + JsonParseError(response.body) +
                        ")";
  Status status(StatusCode::kProtocolError, std::move(message));
  status.set_http_status(response.status);
  return status;
}

const boost::json::value* Field(const boost::json::value& value, std::string_view key) {
  const auto* object = value.if_object();
  return object == nullptr ? nullptr : object->if_contains(key);
}

std::optional<std::string> StringField(const boost::json::value& value, std::string_view key) {
  const auto* field = Field(value, key);
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return std::string(field->get_string());
}

// properties.provisioningState of an ARM resource body, when it is a string.
std::optional<std::string> ProvisioningState(const boost::json::value& body) {
  const auto* properties = Field(body, "properties");
  if (properties == nullptr) return std::nullopt;
  return StringField(*properties, "provisioningState");
}

// The status a body carries, when it has one: `status` or properties.provisioningState.
std::optional<LroStatus> BodyStatus(const boost::json::value& body) {
  if (auto status = StringField(body, "status")) return ClassifyStatus(*status);
  if (auto state = ProvisioningState(body)) return ClassifyStatus(*state);
  return std::nullopt;
}

Result ResultFrom(const HttpResponse& response) {
  Result result;
  result.has_value = true;
  result.http_status = response.status;
  result.content_type = std::string(FindHeader(response.headers, "Content-Type").value_or(""));
  result.body = response.body;
  return result;
}

Result JsonResult(const boost::json::value& value, int http_status) {
  Result result;
  result.has_value = true;
  result.http_status = http_status;
  result.content_type = "application/json";
  result.body = boost::json::serialize(value);
  return result;
}

std::string Describe(const ServiceError& error) {
  std::string text = error.code.empty() ? "" : error.code;
  if (!error.message.empty()) text += (text.empty() ? "" : ": ") + error.message;
  return text;
}

Status HttpFailure(const std::string& what, const HttpResponse& response) {
  Status status(StatusCode::kHttpError, what + " failed: HTTP " + std::to_string(response.status));
  status.set_http_status(response.status);
  if (auto error = ServiceErrorFromResponse(response)) {
    const std::string described = Describe(*error);
    Status detailed(StatusCode::kHttpError,
                    status.message() + (described.empty() ? "" : " (" + described + ")"));
    detailed.set_http_status(response.status);
    detailed.set_service_error(std::move(*error));
    return detailed;
  }
  return status;
}

Status ProtocolError(std::string message) {
  return Status(StatusCode::kProtocolError, std::move(message));
}

// A random UUID v4 for Repeatability-Request-ID. The seed alone would repeat across processes
// that share ClientOptions::random_seed (and a repeated id makes a server take a new request
// for a replay), so std::random_device is mixed in, except in fuzzing builds: there every run
// of an input must take the same paths, or a fixed-seed fuzzing run is not repeatable.
std::string NewUuid(std::uint64_t seed) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  std::mt19937_64 random(seed);
#else
  std::mt19937_64 random(seed ^ std::random_device{}());
#endif
  std::array<unsigned char, 16> bytes{};
  for (auto& byte : bytes) byte = static_cast<unsigned char>(random() & 0xFFU);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0FU) | 0x40U);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3FU) | 0x80U);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4U];
    out += kHex[bytes[i] & 0x0FU];
  }
  return out;
}

std::string ImfFixdate(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays{"Thu", "Fri", "Sat", "Sun",
                                                    "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto days = floor<std::chrono::days>(when);
  const year_month_day date{days};
  const hh_mm_ss time{floor<seconds>(when - days)};
  const auto weekday = static_cast<std::size_t>(days.time_since_epoch().count() % 7 + 7) % 7;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT", kDays[weekday],
                static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1],
                static_cast<int>(date.year()), static_cast<long>(time.hours().count()),
                static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  return buffer;
}

constexpr std::size_t kMaxCookiesPerHost = 32;
constexpr std::size_t kMaxCookieBytes = 4096;

}  // namespace

const char* PurposeName(RequestPurpose purpose) {
  switch (purpose) {
    case RequestPurpose::kInitial:
      return "initial request";
    case RequestPurpose::kPoll:
      return "poll";
    case RequestPurpose::kFinalGet:
      return "result request";
    case RequestPurpose::kCancel:
      return "cancel request";
  }
  return "request";
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kUnknown:
      return "unknown";
    case Mode::kNone:
      return "none";
    case Mode::kOperationLocation:
      return "operation-location";
    case Mode::kAzureAsyncOperation:
      return "azure-async-operation";
    case Mode::kFabric:
      return "fabric";
    case Mode::kLocation:
      return "location";
    case Mode::kBody:
      return "body";
    case Mode::kGoogle:
      return "google";
  }
  return "unknown";
}

LroMachine::LroMachine(SharedMachineConfig config, std::uint64_t seed, Instant now)
    : config_(std::move(config)),
      poll_backoff_(config_->polling.initial, config_->polling.multiplier, config_->polling.max,
                    config_->polling.jitter, seed),
      retry_backoff_(config_->retry.initial, config_->retry.multiplier, config_->retry.max,
                     config_->retry.jitter, seed + 1),
      next_at_(now.mono) {}

LroMachine::LroMachine(HttpRequest initial, SharedMachineConfig config, std::uint64_t seed,
                       Instant now)
    : LroMachine(std::move(config), seed, now) {
  initial_ = std::move(initial);
  initial_origin_ = Origin(initial_.url);
  api_version_ = QueryParameter(initial_.url, "api-version").value_or("");
  for (const auto& header : initial_.headers) {
    const bool sensitive =
        IsBuiltInCredential(header.name) ||
        std::any_of(
            config_->sensitive_headers.begin(), config_->sensitive_headers.end(),
            [&](const std::string& name) { return IsOneOf(header.name, {AsciiLower(name)}); });
    if (sensitive) {
      credential_headers_.push_back(header);
    } else if (!IsNotCarried(header.name)) {
      carried_headers_.push_back(header);
    }
  }
  // A POST gets an idempotency key unless it has one, so that it can be retried (SPEC §6); the
  // same values go with every attempt. A caller's Repeatability-Request-ID is kept as given.
  if (config_->options.add_repeatability_headers && AsciiLower(initial_.method) == "post" &&
      !HasIdempotencyKey(initial_.headers)) {
    if (!FindHeader(initial_.headers, "Repeatability-Request-ID")) {
      initial_.headers.push_back({"Repeatability-Request-ID", NewUuid(seed)});
    }
    initial_.headers.push_back({"Repeatability-First-Sent", ImfFixdate(now.wall)});
  }
}

LroMachine LroMachine::ForMonitor(std::string monitor_url, SharedMachineConfig config,
                                  std::uint64_t seed, Instant now) {
  const PollingMode forced = config->options.mode;
  LroMachine machine(HttpRequest{"GET", monitor_url, {}, {}}, std::move(config), seed, now);
  // Unless told which kind of monitor this is, read it as ARM Location polling, which reads a
  // Fabric or Azure monitor too: a 200 with a known status turns it into a status monitor
  // (SPEC §3, step 4).
  switch (forced) {
    case PollingMode::kOperationLocation:
      machine.mode_ = Mode::kOperationLocation;
      break;
    case PollingMode::kAzureAsyncOperation:
      machine.mode_ = Mode::kAzureAsyncOperation;
      break;
    case PollingMode::kFabric:
      machine.mode_ = Mode::kFabric;
      break;
    case PollingMode::kBody:
      machine.mode_ = Mode::kBody;
      break;
    case PollingMode::kGoogle:
      machine.mode_ = Mode::kGoogle;
      break;
    case PollingMode::kAuto:
    case PollingMode::kLocation:
      machine.mode_ = Mode::kLocation;
      break;
  }
  machine.phase_ = Phase::kPolling;
  machine.monitor_url_ = std::move(monitor_url);
  machine.immediate_ = false;
  return machine;
}

Outgoing LroMachine::PendingRequest() const {
  switch (phase_) {
    case Phase::kInitial: {
      // A retry of the initial request carries the cookies its failed attempts were given.
      Outgoing out{initial_, RequestPurpose::kInitial, true};
      AddCookies(out.request);
      return out;
    }
    case Phase::kPolling:
    case Phase::kFinalGet:
    case Phase::kDone: {
      Outgoing out{BuildRequest("GET", TargetUrl()), CurrentPurpose(), false};
      out.may_carry_credentials = CredentialsAllowed(out.request.url);
      return out;
    }
  }
  return {};
}

Outgoing LroMachine::PendingRequestThatMayWait() {
  Outgoing out = PendingRequest();
  const std::chrono::seconds wait = config_->polling.prefer_wait;
  // Not for the resource itself (provisioningState), nor when the caller sent a Prefer header.
  if (phase_ != Phase::kPolling || mode_ == Mode::kBody || wait.count() <= 0 ||
      server_wait_ == ServerWait::kDeclined || FindHeader(out.request.headers, "Prefer")) {
    return out;
  }
  out.request.headers.push_back({"Prefer", "wait=" + std::to_string(wait.count())});
  out.asks_to_wait = true;
  asked_to_wait_ = true;
  return out;
}

bool LroMachine::NoteServerWait(const HttpResponse& response) {
  if (!Is2xx(response.status)) return false;
  const bool applied = WaitApplied(response.headers);
  if (applied) {
    server_wait_ = ServerWait::kApplied;
  } else if (server_wait_ == ServerWait::kUnknown) {
    server_wait_ = ServerWait::kDeclined;
    Debug([] { return std::string("the server does not hold polls (no Preference-Applied)"); });
  }
  return applied;
}

HttpRequest LroMachine::BuildRequest(std::string method, std::string url) const {
  if (config_->options.propagate_api_version && !api_version_.empty()) {
    url = WithQueryParameterIfAbsent(url, "api-version", api_version_);
  }
  HttpRequest request{std::move(method), std::move(url), carried_headers_, {}};
  if (!credential_headers_.empty() && CredentialsAllowed(request.url)) {
    request.headers.insert(request.headers.end(), credential_headers_.begin(),
                           credential_headers_.end());
  }
  AddCookies(request);
  return request;
}

void LroMachine::AddCookies(HttpRequest& request) const {
  if (cookies_.empty()) return;
  const auto jar = cookies_.find(Host(request.url));
  if (jar == cookies_.end() || jar->second.empty()) return;
  std::string cookie;
  for (const auto& [name, value] : jar->second) {
    if (!cookie.empty()) cookie += "; ";
    cookie += name + "=" + value;
  }
  // One Cookie header: the caller's own cookies first, then those the service set.
  for (auto& header : request.headers) {
    if (IsOneOf(header.name, {"cookie"})) {
      header.value += "; " + cookie;
      return;
    }
  }
  request.headers.push_back({"Cookie", std::move(cookie)});
}

const std::string& LroMachine::TargetUrl() const {
  switch (phase_) {
    case Phase::kInitial:
      return initial_.url;
    case Phase::kPolling:
      return monitor_url_;
    case Phase::kFinalGet:
    case Phase::kDone:
      break;
  }
  return final_url_;
}

RequestPurpose LroMachine::CurrentPurpose() const {
  switch (phase_) {
    case Phase::kInitial:
      return RequestPurpose::kInitial;
    case Phase::kPolling:
      return RequestPurpose::kPoll;
    case Phase::kFinalGet:
    case Phase::kDone:
      break;
  }
  return RequestPurpose::kFinalGet;
}

bool LroMachine::CredentialsAllowed(const std::string& url) const {
  // The common case without parsing: a URL on the initial origin, spelled as it was.
  if (url.size() > initial_origin_.size() &&
      url.compare(0, initial_origin_.size(), initial_origin_) == 0 &&
      (url[initial_origin_.size()] == '/' || url[initial_origin_.size()] == '?')) {
    return true;
  }
  return MayReceiveCredentials(initial_.url, url, config_->allowed_credential_hosts);
}

void LroMachine::OnResponse(const HttpResponse& response, Instant now) {
  const bool asked_to_wait = std::exchange(asked_to_wait_, false);
  const std::string& request_url = TargetUrl();
  RecordCookies(response.headers, request_url);
  Debug([&] {
    return std::string(std::string("response to ") + PurposeName(CurrentPurpose()) + ": HTTP " +
                       std::to_string(response.status) + ", " +
                       std::to_string(response.body.size()) + " bytes");
  });
  if (IsTransientHttpStatus(response.status)) {
    OnTransient("HTTP " + std::to_string(response.status), &response.headers, response.status, now);
    return;
  }
  consecutive_failures_ = 0;
  retry_cause_ = Status();
  if (auto id = FindHeader(response.headers, "x-ms-operation-id")) operation_id_ = *id;
  retry_backoff_.Reset();
  switch (phase_) {
    case Phase::kInitial:
      OnInitialResponse(response, now);
      break;
    case Phase::kPolling:
      answer_was_held_ = asked_to_wait && NoteServerWait(response);
      OnPollResponse(response, now);
      answer_was_held_ = false;
      break;
    case Phase::kFinalGet:
      OnFinalResponse(response, now);
      break;
    case Phase::kDone:
      break;
  }
}

void LroMachine::OnTransportError(const Status& error, Instant now) {
  asked_to_wait_ = false;
  if (phase_ == Phase::kDone) return;
  if (error.code() == StatusCode::kUnavailable) {
    OnTransient(error.message(), nullptr, 0, now);
    return;
  }
  Fail(error);
}

void LroMachine::Abandon(Status error) {
  if (phase_ != Phase::kDone) Fail(std::move(error));
}

bool LroMachine::InitialRequestIsRetriable() const {
  const std::string method = AsciiLower(initial_.method);
  if (method == "put" || method == "patch" || method == "delete" || method == "get") return true;
  return HasIdempotencyKey(initial_.headers);
}

void LroMachine::OnTransient(const std::string& cause, const Headers* headers, int http_status,
                             Instant now) {
  const char* purpose = PurposeName(CurrentPurpose());
  if (phase_ == Phase::kInitial && !InitialRequestIsRetriable()) {
    Status error(StatusCode::kUnavailable,
                 std::string(purpose) + " failed: " + cause +
                     " (not retried: a POST without an idempotency key could run twice)");
    error.set_http_status(http_status);
    Fail(std::move(error));
    return;
  }
  ++consecutive_failures_;
  if (consecutive_failures_ >= std::max(config_->retry.max_attempts, 1)) {
    Status error(StatusCode::kUnavailable, consecutive_failures_ == 1
                                               ? std::string(purpose) + " failed: " + cause
                                               : std::string(purpose) + " failed " +
                                                     std::to_string(consecutive_failures_) +
                                                     " times in a row; last: " + cause);
    error.set_http_status(http_status);
    Fail(std::move(error));
    return;
  }
  std::optional<milliseconds> hint;
  if (headers != nullptr)
    hint = ParseServerDelay(*headers, now.wall, config_->polling.max_server_delay);
  const milliseconds delay = std::max(hint.value_or(retry_backoff_.Next()), config_->polling.floor);
  next_at_ = now.mono + delay;
  immediate_ = false;
  std::string failure = std::string(purpose) + " failed: " + cause;
  config_->logger.Log(LogLevel::kWarning, failure + "; retry " +
                                              std::to_string(consecutive_failures_) + "/" +
                                              std::to_string(config_->retry.max_attempts - 1) +
                                              " in " + std::to_string(delay.count()) + " ms");
  retry_cause_ = Status(StatusCode::kUnavailable, std::move(failure));
  retry_cause_.set_http_status(http_status);
}

void LroMachine::RecordCookies(const Headers& headers, const std::string& request_url) {
  if (!FindHeader(headers, "Set-Cookie")) return;
  const std::string host = Host(request_url);
  if (host.empty()) return;
  for (const auto& header : headers) {
    if (!IsOneOf(header.name, {"set-cookie"}) || header.value.size() > kMaxCookieBytes) continue;
    const std::string_view text = header.value;
    const std::string_view pair = text.substr(0, text.find(';'));
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    auto trim = [](std::string_view s) {
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return std::string(s);
    };
    const std::string name = trim(pair.substr(0, equals));
    const std::string value = trim(pair.substr(equals + 1));
    auto& jar = cookies_[host];
    const std::string attributes = AsciiLower(text.substr(pair.size()));
    if (attributes.find("max-age=0") != std::string::npos) {
      jar.erase(name);
    } else if (jar.size() < kMaxCookiesPerHost || jar.count(name) != 0) {
      jar[name] = value;
    }
  }
}

void LroMachine::RecordLinks(const HttpResponse& response, const std::string& request_url) {
  if (auto location = FindHeader(response.headers, "Location")) {
    auto resolved = ResolveUrl(request_url, *location);
    if (resolved.ok()) {
      location_ = *resolved;
    } else {
      config_->logger.Log(LogLevel::kWarning, "ignoring Location: " + resolved.status().message());
    }
  }
}

void LroMachine::OnInitialResponse(const HttpResponse& response, Instant now) {
  const int status = response.status;
  if (!Is2xx(status)) {
    Fail(HttpFailure("initial request", response));
    return;
  }
  const std::string& url = initial_.url;
  RecordLinks(response, url);
  auto resolve_header = [&](std::string_view name) -> std::optional<StatusOr<std::string>> {
    auto value = FindHeader(response.headers, name);
    if (!value) return std::nullopt;
    auto resolved = ResolveUrl(url, *value);
    if (!resolved.ok()) {
      return ProtocolError(std::string("the ") + std::string(name) +
                           " header is not a usable URL: " + resolved.status().message());
    }
    return resolved;
  };
  const auto operation_location = resolve_header("Operation-Location");
  const auto azure_async = resolve_header("Azure-AsyncOperation");
  const auto operation_id = FindHeader(response.headers, "x-ms-operation-id");
  const bool has_location = !location_.empty();
  const auto body = ParseBody(response.body);
  const std::optional<LroStatus> body_status = body ? BodyStatus(*body) : std::nullopt;
  const std::string method = AsciiLower(initial_.method);
  const bool put_or_patch = method == "put" || method == "patch";
  const bool body_running = put_or_patch && body && ProvisioningState(*body) &&
                            !ClassifyStatus(*ProvisioningState(*body)).terminal();

  // The Fabric state URL: Location when given, else built from the operation id.
  auto fabric_monitor = [&]() -> StatusOr<std::string> {
    if (has_location) return location_;
    const std::string base = config_->options.fabric_base_url.empty()
                                 ? initial_origin_
                                 : config_->options.fabric_base_url;
    std::string id(*operation_id);
    for (char c : id) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') {
        return ProtocolError("x-ms-operation-id is not a plain id");
      }
    }
    std::string trimmed = base;
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
    return ResolveUrl(url, trimmed + "/v1/operations/" + id);
  };

  // The Google Operation's URL: the call's origin and version prefix, then its name.
  auto google_monitor = [&]() -> StatusOr<std::string> {
    return GoogleOperationUrl(url, StringField(*body, "name").value_or(""));
  };

  Mode mode = Mode::kNone;
  StatusOr<std::string> monitor = std::string();
  switch (config_->options.mode) {
    case PollingMode::kAuto:
      if (operation_location) {
        mode = Mode::kOperationLocation;
        monitor = *operation_location;
      } else if (azure_async) {
        mode = Mode::kAzureAsyncOperation;
        monitor = *azure_async;
      } else if (operation_id && status == 202) {
        mode = Mode::kFabric;
        monitor = fabric_monitor();
      } else if (has_location && status == 202) {
        mode = Mode::kLocation;
        monitor = location_;
      } else if (body_running) {
        mode = Mode::kBody;
        monitor = url;
      } else if (status == 200 && body && IsGoogleOperation(*body)) {
        mode = Mode::kGoogle;
        monitor = google_monitor();
      }
      break;
    case PollingMode::kOperationLocation:
      if (operation_location) {
        mode = Mode::kOperationLocation;
        monitor = *operation_location;
      }
      break;
    case PollingMode::kAzureAsyncOperation:
      if (azure_async) {
        mode = Mode::kAzureAsyncOperation;
        monitor = *azure_async;
      }
      break;
    case PollingMode::kFabric:
      if (has_location || operation_id) {
        mode = Mode::kFabric;
        monitor = fabric_monitor();
      }
      break;
    case PollingMode::kLocation:
      if (has_location) {
        mode = Mode::kLocation;
        monitor = location_;
      }
      break;
    case PollingMode::kBody:
      if (put_or_patch || status == 202) {
        mode = Mode::kBody;
        monitor = url;
      }
      break;
    case PollingMode::kGoogle:
      if (body && StringField(*body, "name")) {
        mode = Mode::kGoogle;
        monitor = google_monitor();
      }
      break;
  }
  if (!monitor.ok()) {
    Fail(monitor.status());
    return;
  }

  if (mode == Mode::kNone) {
    if (status == 202) {
      // A Location that is there but does not resolve was set aside by RecordLinks: say so
      // rather than claim there was none.
      Fail(FindHeader(response.headers, "Location")
               ? ProtocolError("202 Accepted whose only link, the Location header, is not a "
                               "usable URL")
               : ProtocolError("202 Accepted without a way to poll (no Operation-Location, "
                               "Azure-AsyncOperation, Location or x-ms-operation-id)"));
      return;
    }
    mode_ = Mode::kNone;
    Debug([&] { return std::string("finished synchronously: HTTP " + std::to_string(status)); });
    if (status != 204 && !response.body.empty() && !body && DeclaresJson(response)) {
      // The body may hold a provisioningState or a status the client could not read: it
      // cannot know that the operation is done.
      Fail(UnreadableJson("the initial request", response));
      return;
    }
    state_.status = LroStatus{StatusKind::kSucceeded, "Succeeded", true};
    if (status == 204 || response.body.empty()) {
      Succeed(Result{false, status, {}, {}});
    } else {
      Succeed(ResultFrom(response));
    }
    return;
  }

  if (mode == Mode::kGoogle) {
    mode_ = mode;
    phase_ = Phase::kPolling;
    monitor_url_ = std::move(*monitor);
    state_.status = LroStatus{StatusKind::kRunning, "", true};
    Debug([&] { return std::string("polling mode google, operation " + RedactUrl(monitor_url_)); });
    OnGoogleBody(response, *body, now);
    return;
  }

  // The initial body may already say the operation is over: then nothing is polled.
  if (body_status && body_status->terminal()) {
    mode_ = mode;
    state_.status = *body_status;
    Debug([&] { return std::string("initial response already terminal: " + body_status->raw); });
    if (body_status->kind == StatusKind::kSucceeded) {
      Succeed(ResultFrom(response));
    } else {
      OnTerminalFailure(*body);
    }
    return;
  }
  StartPolling(mode, std::move(*monitor), response, now);
}

void LroMachine::StartPolling(Mode mode, std::string monitor_url, const HttpResponse& response,
                              Instant now) {
  mode_ = mode;
  phase_ = Phase::kPolling;
  monitor_url_ = std::move(monitor_url);
  // Until the service reports a status, there is none to show: raw stays empty.
  state_.status = LroStatus{StatusKind::kRunning, "", true};
  if (auto body = ParseBody(response.body)) {
    if (auto status = BodyStatus(*body)) state_.status = *status;
  }
  Debug([&] {
    return std::string(std::string("polling mode ") + ModeName(mode) + ", monitor " +
                       RedactUrl(monitor_url_));
  });
  ScheduleNextPoll(response.headers, now);
}

void LroMachine::ScheduleNextPoll(const Headers& headers, Instant now) {
  const auto hint = ParseServerDelay(headers, now.wall, config_->polling.max_server_delay);
  const milliseconds delay = std::max(hint.value_or(poll_backoff_.Next()), config_->polling.floor);
  // A held poll is answered when the state changes: the delay bounds how often the client
  // asks, so it counts from when that poll was due rather than from its answer.
  const MonotonicTime from = answer_was_held_ ? next_at_ : now.mono;
  next_at_ = std::max(now.mono, from + delay);
  immediate_ = false;
  Debug([&] {
    return std::string("next poll in " + std::to_string(delay.count()) + " ms" +
                       (hint ? " (server asked)" : " (client policy)"));
  });
}

void LroMachine::OnPollResponse(const HttpResponse& response, Instant now) {
  const std::string request_url = monitor_url_;
  RecordLinks(response, request_url);
  if (!Is2xx(response.status)) {
    Fail(HttpFailure("poll of " + RedactUrl(request_url), response));
    return;
  }
  // A status monitor may move: follow the latest Operation-Location / Azure-AsyncOperation.
  const char* moving_header = mode_ == Mode::kOperationLocation     ? "Operation-Location"
                              : mode_ == Mode::kAzureAsyncOperation ? "Azure-AsyncOperation"
                                                                    : nullptr;
  if (moving_header != nullptr) {
    if (auto link = FindHeader(response.headers, moving_header)) {
      if (auto resolved = ResolveUrl(request_url, *link); resolved.ok()) monitor_url_ = *resolved;
    }
  }

  switch (mode_) {
    case Mode::kLocation: {
      if (response.status == 202) {
        state_.status = LroStatus{StatusKind::kRunning, "Running", true};
        if (!location_.empty()) monitor_url_ = location_;
        ScheduleNextPoll(response.headers, now);
        return;
      }
      if (response.status == 204) {
        state_.status = LroStatus{StatusKind::kSucceeded, "Succeeded", true};
        Succeed(Result{false, 204, {}, {}});
        return;
      }
      const auto body = ParseBody(response.body);
      if (body) {
        if (auto status = StringField(*body, "status"); status && ClassifyStatus(*status).known) {
          // A Fabric state endpoint whose id header a proxy stripped (SPEC §3, step 4).
          Debug([&] {
            return std::string(
                "Location answers with an LRO status: reading it as a status monitor");
          });
          mode_ = Mode::kFabric;
          OnMonitorBody(response, *body, now);
          return;
        }
        if (IsGoogleOperation(*body)) {
          Debug([&] { return std::string("Location answers with a Google Operation"); });
          mode_ = Mode::kGoogle;
          OnGoogleBody(response, *body, now);
          return;
        }
      } else if (!response.body.empty() && DeclaresJson(response)) {
        Fail(UnreadableJson("the poll of " + RedactUrl(request_url), response));
        return;
      }
      state_.status = LroStatus{StatusKind::kSucceeded, "Succeeded", true};
      Succeed(ResultFrom(response));
      return;
    }
    case Mode::kBody: {
      if (response.status == 202) {
        ScheduleNextPoll(response.headers, now);
        return;
      }
      if (response.status == 204 || response.body.empty()) {
        state_.status = LroStatus{StatusKind::kSucceeded, "Succeeded", true};
        Succeed(Result{false, response.status, {}, {}});
        return;
      }
      const auto body = ParseBody(response.body);
      if (!body) {
        Fail(ProtocolError("the resource answered invalid JSON while polling provisioningState"));
        return;
      }
      const auto state = ProvisioningState(*body);
      state_.status =
          state ? ClassifyStatus(*state) : LroStatus{StatusKind::kSucceeded, "Succeeded", true};
      if (!state_.status.known) {
        config_->logger.Log(LogLevel::kInfo,
                            "unknown provisioningState '" + state_.status.raw + "': polling on");
      }
      if (state_.status.kind == StatusKind::kSucceeded) {
        Succeed(ResultFrom(response));
      } else if (state_.status.terminal()) {
        OnTerminalFailure(*body);
      } else {
        ScheduleNextPoll(response.headers, now);
      }
      return;
    }
    case Mode::kGoogle: {
      const auto body = ParseBody(response.body);
      if (!body) {
        Fail(UnreadableJson("the poll of " + RedactUrl(request_url), response));
        return;
      }
      OnGoogleBody(response, *body, now);
      return;
    }
    default:
      break;
  }

  // Status monitor modes.
  if (response.status == 202 && response.body.empty()) {
    ScheduleNextPoll(response.headers, now);
    return;
  }
  const auto body = ParseBody(response.body);
  if (!body) {
    Fail(ProtocolError("the status monitor answered invalid JSON (HTTP " +
                       std::to_string(response.status) + ")"));
    return;
  }
  OnMonitorBody(response, *body, now);
}

void LroMachine::OnMonitorBody(const HttpResponse& response, const boost::json::value& body,
                               Instant now) {
  if (!body.is_object()) {
    Fail(ProtocolError("the status monitor's body is not a JSON object"));
    return;
  }
  const auto* status = Field(body, "status");
  if (status == nullptr) {
    Fail(ProtocolError("the status monitor's body has no status"));
    return;
  }
  if (!status->is_string()) {
    Fail(ProtocolError("the status monitor's status is not a string: " +
                       boost::json::serialize(*status).substr(0, 100)));
    return;
  }
  if (operation_id_.empty()) {
    if (auto id = StringField(body, "id")) operation_id_ = std::move(*id);
  }
  const LroStatus previous = state_.status;
  state_.status = ClassifyStatus(status->get_string());
  if (!state_.status.known && state_.status.raw != previous.raw) {
    config_->logger.LogLazily(
        LogLevel::kInfo, [&] { return "unknown status '" + state_.status.raw + "': polling on"; });
  }
  if (const auto* percent = Field(body, "percentComplete")) {
    if (percent->is_int64()) {
      state_.percent_complete =
          static_cast<int>(std::clamp<std::int64_t>(percent->get_int64(), 0, 100));
    } else if (percent->is_uint64()) {
      state_.percent_complete = 100;
    } else if (percent->is_double()) {
      state_.percent_complete = static_cast<int>(std::clamp(percent->get_double(), 0.0, 100.0));
    } else if (percent->is_null()) {
      state_.percent_complete.reset();
    }
  }
  for (auto [key, target] :
       {std::pair{"createdTimeUtc", &state_.created}, std::pair{"createdDateTime", &state_.created},
        std::pair{"lastUpdatedTimeUtc", &state_.last_updated},
        std::pair{"lastUpdatedDateTime", &state_.last_updated}}) {
    if (auto text = StringField(body, key)) {
      if (auto time = ParseTimestamp(*text)) *target = *time;
    }
  }
  if (const auto* error = Field(body, "error")) {
    state_.error = ParseErrorObject(*error);
  }
  if (state_.status.kind == StatusKind::kSucceeded) {
    OnTerminalSuccess(response, body);
  } else if (state_.status.terminal()) {
    OnTerminalFailure(body);
  } else {
    // A running Fabric monitor names itself in Location; follow it if it moves.
    if (mode_ == Mode::kFabric) {
      if (auto location = FindHeader(response.headers, "Location")) {
        if (auto url = ResolveUrl(monitor_url_, *location); url.ok()) monitor_url_ = *url;
      }
    }
    ScheduleNextPoll(response.headers, now);
  }
}

void LroMachine::OnTerminalSuccess(const HttpResponse& response, const boost::json::value& body) {
  // SPEC §5, in order.
  if (auto resource = StringField(body, "resourceLocation")) {
    auto url = ResolveUrl(monitor_url_, *resource);
    if (!url.ok()) {
      Fail(url.status());
      return;
    }
    StartFinalGet(std::move(*url));
    return;
  }
  if (mode_ == Mode::kFabric) {
    // Only this terminal response's own Location names the result: a Location remembered from
    // an earlier poll is the state URL.
    if (auto location = FindHeader(response.headers, "Location")) {
      auto url = ResolveUrl(monitor_url_, *location);
      if (!url.ok()) {
        // The service says where the result is, but not in a form we can follow: reporting
        // "no result" would lose it silently.
        Fail(
            ProtocolError("the succeeded state's Location header (where the result is) is not "
                          "a usable URL: " +
                          url.status().message()));
        return;
      }
      if (*url != monitor_url_) {
        StartFinalGet(std::move(*url));
        return;
      }
    }
  }
  if (const auto* result = Field(body, "result")) {
    Succeed(JsonResult(*result, response.status));
    return;
  }
  if (mode_ == Mode::kFabric) {
    Succeed(Result{false, response.status, {}, {}});
    return;
  }
  const std::string method = AsciiLower(initial_.method);
  std::optional<std::string> final_url;
  if (method == "post") {
    switch (config_->options.final_state_via) {
      case FinalStateVia::kLocation:
      case FinalStateVia::kDefault:
        if (!location_.empty()) final_url = location_;
        break;
      case FinalStateVia::kOriginalUri:
        final_url = initial_.url;
        break;
      case FinalStateVia::kAzureAsyncOperation:
      case FinalStateVia::kOperationLocation:
        break;
    }
  } else if (method == "put" || method == "patch") {
    final_url = initial_.url;
  }
  if (final_url) {
    StartFinalGet(std::move(*final_url));
    return;
  }
  // No final GET: the terminal monitor body is the result (SPEC §5.6).
  Succeed(JsonResult(body, response.status));
}

void LroMachine::OnTerminalFailure(const boost::json::value& body) {
  std::optional<ServiceError> error = state_.error.get();
  if (!error) {
    if (const auto* field = Field(body, "error")) error = ParseErrorObject(*field);
  }
  if (!error) {
    if (const auto* properties = Field(body, "properties")) {
      if (const auto* field = Field(*properties, "error")) error = ParseErrorObject(*field);
    }
  }
  state_.error = error;
  // Fabric has no Canceled status: a canceled operation is Failed with OperationCanceled
  // (SPEC §9). The caller still learns it was canceled.
  const bool canceled =
      state_.status.kind == StatusKind::kCanceled || (error && error->code == "OperationCanceled");
  std::string message = canceled ? "operation canceled" : "operation failed";
  message += " (status " + state_.status.raw + ")";
  if (error) {
    const std::string described = Describe(*error);
    if (!described.empty()) message += ": " + described;
  }
  Status status(canceled ? StatusCode::kOperationCanceled : StatusCode::kOperationFailed,
                std::move(message));
  if (error) status.set_service_error(*error);
  Fail(std::move(status));
}

void LroMachine::OnGoogleBody(const HttpResponse& response, const boost::json::value& body,
                              Instant now) {
  auto operation = ReadGoogleOperation(body);
  if (!operation.ok()) {
    Fail(operation.status());
    return;
  }
  if (!operation->name.empty()) operation_id_ = operation->name;
  if (operation->percent_complete) state_.percent_complete = operation->percent_complete;
  if (!operation->done) {
    state_.status = LroStatus{StatusKind::kRunning, "Running", true};
    ScheduleNextPoll(response.headers, now);
    return;
  }
  if (operation->error) {
    // google.rpc.Code 1 (CANCELLED) is a canceled operation; any other is a failure.
    state_.status = operation->rpc_code == 1 ? LroStatus{StatusKind::kCanceled, "Canceled", true}
                                             : LroStatus{StatusKind::kFailed, "Failed", true};
    state_.error = std::move(*operation->error);
    OnTerminalFailure(body);
    return;
  }
  state_.status = LroStatus{StatusKind::kSucceeded, "Succeeded", true};
  if (operation->response) {
    Succeed(JsonResult(*operation->response, response.status));
  } else {
    Succeed(Result{false, response.status, {}, {}});
  }
}

void LroMachine::StartFinalGet(std::string url) {
  final_url_ = std::move(url);
  phase_ = Phase::kFinalGet;
  immediate_ = true;
  Debug([&] {
    return std::string("operation succeeded; fetching the result from " + RedactUrl(final_url_));
  });
}

void LroMachine::OnFinalResponse(const HttpResponse& response, Instant /*now*/) {
  if (!Is2xx(response.status)) {
    Fail(HttpFailure("fetching the result from " + RedactUrl(final_url_), response));
    return;
  }
  if (response.status == 204) {
    Succeed(Result{false, 204, {}, {}});
    return;
  }
  Succeed(ResultFrom(response));
}

void LroMachine::Succeed(Result result) {
  result_ = std::move(result);
  error_ = Status();
  phase_ = Phase::kDone;
  immediate_ = false;
  Debug([&] {
    return std::string("operation done: succeeded" +
                       std::string(result_->has_value ? "" : ", no result"));
  });
}

void LroMachine::Fail(Status error) {
  Debug([&] { return std::string("operation done: " + error.ToString()); });
  error_ = std::move(error);
  result_.reset();
  phase_ = Phase::kDone;
  immediate_ = false;
}

StatusOr<Result> LroMachine::outcome() const {
  if (phase_ != Phase::kDone) {
    return Status(StatusCode::kFailedPrecondition, "the operation is not done");
  }
  if (result_) return *result_;
  return error_;
}

StatusOr<Outgoing> LroMachine::CancelRequest() const {
  const bool monitor_mode = mode_ == Mode::kOperationLocation ||
                            mode_ == Mode::kAzureAsyncOperation || mode_ == Mode::kFabric ||
                            mode_ == Mode::kGoogle;
  CancelStyle style = config_->options.cancel_style;
  if (style == CancelStyle::kAuto)
    style = monitor_mode ? CancelStyle::kPostMonitorCancel : CancelStyle::kNone;
  if (style != CancelStyle::kNone && style != CancelStyle::kCustom && monitor_url_.empty()) {
    return Status(StatusCode::kFailedPrecondition, "the operation has no status monitor yet");
  }
  HttpRequest request;
  switch (style) {
    case CancelStyle::kAuto:
    case CancelStyle::kNone:
      return Status(StatusCode::kFailedPrecondition,
                    std::string("no cancel for this operation (polling mode ") + ModeName(mode_) +
                        "); set OperationOptions.cancel_style if the service has one");
    case CancelStyle::kPostMonitorCancel:
      request = BuildRequest("POST", AppendToPath(monitor_url_, ":cancel"));
      break;
    case CancelStyle::kDeleteMonitor:
      request = BuildRequest("DELETE", monitor_url_);
      break;
    case CancelStyle::kCustom: {
      if (!config_->options.cancel_request) {
        return Status(StatusCode::kInvalidArgument, "CancelStyle::kCustom without cancel_request");
      }
      const auto& custom = *config_->options.cancel_request;
      request = BuildRequest(custom.method, custom.url);
      request.body = custom.body;
      request.headers.insert(request.headers.end(), custom.headers.begin(), custom.headers.end());
      break;
    }
  }
  Outgoing out{std::move(request), RequestPurpose::kCancel, false};
  out.may_carry_credentials = CredentialsAllowed(out.request.url);
  return out;
}

Status LroMachine::OnCancelResponse(const HttpResponse& response, Instant now) {
  RecordCookies(response.headers, monitor_url_);
  if (!Is2xx(response.status)) return HttpFailure("cancel request", response);
  // Poll again soon to see the cancellation land; an Azure cancel answers with the monitor.
  next_at_ = std::min(next_at_, now.mono + config_->polling.floor);
  if (phase_ == Phase::kPolling) {
    if (auto body = ParseBody(response.body); body && StringField(*body, "status")) {
      if (mode_ != Mode::kLocation && mode_ != Mode::kBody && mode_ != Mode::kGoogle) {
        OnMonitorBody(response, *body, now);
      }
    }
  }
  return Status();
}

std::string LroMachine::ResumeToken() const {
  ResumeTokenFields fields;
  fields.method = initial_.method;
  fields.original_url = initial_.url;
  fields.mode = ModeName(mode_);
  fields.monitor_url = monitor_url_;
  fields.location = location_;
  fields.final_url = final_url_;
  fields.api_version = api_version_;
  fields.headers = carried_headers_;
  fields.status = state_.status.raw;
  // Resuming re-reads the monitor, or re-fetches the result: both are repeatable.
  fields.phase = phase_ == Phase::kFinalGet ? "final" : "polling";
  if (phase_ == Phase::kDone) {
    if (mode_ == Mode::kNone || mode_ == Mode::kUnknown) {
      fields.phase = "done";
      fields.succeeded = result_.has_value();
      if (result_ && result_->has_value) fields.result = *result_;
      if (!result_) fields.error_message = error_.message();
    } else if (!final_url_.empty() && result_) {
      fields.phase = "final";
    }
  }
  return EncodeResumeToken(fields);
}

StatusOr<LroMachine> LroMachine::FromResumeToken(std::string_view token, SharedMachineConfig config,
                                                 std::uint64_t seed, Instant now) {
  auto fields = DecodeResumeToken(token);
  if (!fields.ok()) return fields.status();
  Mode mode = Mode::kUnknown;
  for (Mode candidate : {Mode::kNone, Mode::kOperationLocation, Mode::kAzureAsyncOperation,
                         Mode::kFabric, Mode::kLocation, Mode::kBody, Mode::kGoogle}) {
    if (fields->mode == ModeName(candidate)) mode = candidate;
  }
  if (mode == Mode::kUnknown) {
    return Status(StatusCode::kInvalidArgument,
                  "resume token: unknown mode '" + fields->mode + "'");
  }
  HttpRequest initial{fields->method, fields->original_url, fields->headers, {}};
  LroMachine machine(std::move(initial), std::move(config), seed, now);
  machine.mode_ = mode;
  machine.monitor_url_ = fields->monitor_url;
  machine.location_ = fields->location;
  machine.final_url_ = fields->final_url;
  machine.api_version_ = fields->api_version;
  machine.state_.status = fields->status.empty() ? LroStatus{StatusKind::kRunning, "", true}
                                                 : ClassifyStatus(fields->status);
  machine.immediate_ = false;
  if (fields->phase == "done") {
    machine.phase_ = Phase::kDone;
    if (fields->succeeded) {
      machine.result_ = fields->result.value_or(Result{});
    } else {
      machine.error_ = Status(StatusCode::kOperationFailed, fields->error_message);
    }
  } else if (fields->phase == "final") {
    if (machine.final_url_.empty()) {
      return Status(StatusCode::kInvalidArgument, "resume token: final phase without a result URL");
    }
    machine.phase_ = Phase::kFinalGet;
  } else {
    if (machine.monitor_url_.empty()) {
      return Status(StatusCode::kInvalidArgument, "resume token: no status monitor URL");
    }
    machine.phase_ = Phase::kPolling;
  }
  return machine;
}

}  // namespace lro::internal
