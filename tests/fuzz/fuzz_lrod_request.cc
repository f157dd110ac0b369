// lrod's request handling beneath the HTTP parser: the input is a script of requests (method,
// target, headers, body) fed to the Api of a real server (SQLite store, a few routes, bearer
// tokens in Fabric mode, anonymous in Azure mode), as Beast would hand them over. Whatever
// they say: no crash, no hang (every answer comes, every operation ends once cancelled), a
// request id on every answer, an error body in the mode's shape on every error, and every
// operation status lrod shows (state, cancel, list, event stream) inside the mode's enum.
//
// Input: [mode byte] then up to 16 requests, each
//   [method byte][target\0][name\0value\0 … \0][body\0]
// "{id}" in a target stands for the operation the last creation named.
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.h"
#include "lro/server/server.h"
#include "lro/testing/fake_clock.h"
#include "server_access.h"

namespace {

using lro::server::Reply;
using lro::server::WorkContext;
using lro::server::WorkResult;
using lro::server::internal::Api;
using lro::server::internal::ApiRequest;
using lro::server::internal::ApiResponse;
using lro::server::internal::Endpoint;
using lro::server::internal::PendingReply;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_lrod_request: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Reads up to the next '\0' (or the end).
std::string_view Take(std::string_view& input) {
  const auto end = input.find('\0');
  const std::string_view part = input.substr(0, end);
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return part;
}

// The work a creation asks for, by the first byte of its body.
WorkResult Work(const std::string& body, WorkContext& context) {
  const char kind = body.empty() ? 'j' : body.front();
  switch (kind) {
    case 'b':
      return WorkResult::Bytes(body, "application/octet-stream");
    case 'n':
      return WorkResult::NoResult();
    case 'e':
      return WorkResult::Error({body.substr(1, 40),
                                "asked to fail",
                                {{body.substr(1, 8), body, "r", "t"}},
                                body.size() > 3});
    case 'c':
      return WorkResult::Canceled();
    case 't':
      throw std::runtime_error("asked to throw");
    case 'p':
      context.ReportProgress(static_cast<int>(body.size()) - 5);
      context.ReportProgress(static_cast<int>(body.size()) * 7);
      return WorkResult::Json(R"({"progressed":true})");
    case 'w':  // runs until cancelled (every input cancels what it created)
      return WorkResult::ContinueAfter(std::chrono::hours(1), [](WorkContext& next) {
        return next.CancelRequested() ? WorkResult::Canceled() : WorkResult::NoResult();
      });
    default:
      return WorkResult::Json(body);
  }
}

void AddRoutes(lro::server::Server& server) {
  // Creation, re-run after a crash: its request is stored.
  server.Route("POST", "/v1/jobs/{name}", {.operation_type = "Fuzz.Job", .idempotent = true},
               [](const lro::server::Request& request) -> Reply {
                 if (request.body.empty()) return Reply::BadRequest("InvalidInput", "empty body");
                 if (request.body.front() == 'x') throw std::runtime_error("handler threw");
                 if (request.body.front() == 'f') {
                   return Reply::Fail(409, {"Conflict", request.body, {}, true});
                 }
                 if (request.body.front() == 'r') return Reply::Respond(200, "{}");
                 return Reply::Start(
                     [body = request.body](WorkContext& context) { return Work(body, context); });
               });
  // Creation that is failed rather than re-run after a crash, one step at a time.
  server.Route("POST", "/v1/tasks", {.operation_type = "Fuzz.Task", .max_concurrency = 1},
               [](const lro::server::Request& request) -> Reply {
                 return Reply::Start(
                     [body = request.body](WorkContext& context) { return Work(body, context); });
               });
  // A read, answered by the handler.
  server.Route("GET", "/v1/jobs/{name}", {}, [](const lro::server::Request& request) -> Reply {
    std::string echo(*request.Param("name"));
    if (auto top = request.QueryParam("top")) echo += *top;
    return Reply::Respond(200, echo, "text/plain");
  });
  // Misconfigured: starts an operation without an operation type.
  server.Route("POST", "/v1/untyped", {}, [](const lro::server::Request&) -> Reply {
    return Reply::Start([](WorkContext&) { return WorkResult::NoResult(); });
  });
}

struct Instance {
  std::unique_ptr<lro::server::Server> server;
  Api* api = nullptr;
  lro::server::Mode mode = lro::server::Mode::kFabric;
};

std::shared_ptr<lro::testing::FakeClock> g_clock;

Instance Open(lro::server::Mode mode, bool auth, const std::filesystem::path& dir) {
  lro::server::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.mode = mode;
  options.store_url = "sqlite:" + (dir / (auth ? "fabric.db" : "azure.db")).string();
  options.fsync = false;
  options.worker_threads = 2;
  options.inline_budget = std::chrono::milliseconds(0);
  options.max_wait = std::chrono::seconds(1);
  options.progress_debounce = std::chrono::milliseconds(0);
  options.clock = g_clock;
  options.log_level = lro::server::LogLevel::kError;
  options.log_sink = [](std::string_view) {};
  if (auth) options.bearer_tokens = {{"token-a", "alice"}, {"token-b", "bob"}};
  Instance instance;
  instance.mode = mode;
  instance.server = std::make_unique<lro::server::Server>(options);
  AddRoutes(*instance.server);
  if (auto status = instance.server->Start(); !status.ok()) Fail("start", status.message());
  instance.api = lro::server::internal::ServerAccess::RequestHandling(*instance.server);
  return instance;
}

// Two servers for the whole run: Fabric with bearer tokens, Azure without.
Instance& Server(bool azure) {
  static const std::filesystem::path dir = [] {
    char pattern[] = "/tmp/fuzz-lrod-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) Fail("mkdtemp", "");
    return std::filesystem::path(pattern);
  }();
  static bool cleanup_registered = [] {
    g_clock = std::make_shared<lro::testing::FakeClock>();
    return std::atexit([] { std::filesystem::remove_all(dir); }) == 0;
  }();
  (void)cleanup_registered;
  static Instance fabric = Open(lro::server::Mode::kFabric, true, dir);
  static Instance azure_instance = Open(lro::server::Mode::kAzure, false, dir);
  return azure ? azure_instance : fabric;
}

// An answer that may come later (a creation waiting for its commit, a state read held by
// Prefer: wait).
class Pending {
 public:
  explicit Pending(std::string target) : target_(std::move(target)) {}
  void Await(const std::shared_ptr<PendingReply>& later) {
    auto promise = std::make_shared<std::promise<ApiResponse>>();
    future_ = promise->get_future();
    later->OnReady([promise](ApiResponse response) { promise->set_value(std::move(response)); });
  }
  ApiResponse Get() {
    if (future_.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      Fail("an answer never came", target_);
    }
    return future_.get();
  }

 private:
  std::string target_;
  std::future<ApiResponse> future_;
};

// Handles `request`; an answer that comes later is awaited.
ApiResponse Answer(Api& api, ApiRequest request) {
  Api::Result result = api.Handle(request);
  if (result.now) return std::move(*result.now);
  if (!result.later) Fail("no answer", request.target);
  Pending pending(request.target);
  pending.Await(result.later);
  return pending.Get();
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

void CheckStatus(const Instance& instance, const boost::json::value& status,
                 std::string_view body) {
  static constexpr std::string_view kFabric[] = {"NotStarted", "Running", "Succeeded", "Failed"};
  static constexpr std::string_view kAzure[] = {"NotStarted", "Running", "Succeeded", "Failed",
                                                "Canceled"};
  if (!status.is_string()) Fail("a status that is not a string", body);
  const std::string_view name = status.get_string();
  const bool azure = instance.mode == lro::server::Mode::kAzure;
  for (std::string_view allowed : azure ? std::span<const std::string_view>(kAzure)
                                        : std::span<const std::string_view>(kFabric)) {
    if (name == allowed) return;
  }
  Fail("a status outside the mode's enum", body);
}

boost::json::value ParseOrFail(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec) Fail(what, text);
  return value;
}

// What every answer must be; returns the operation it names when it is a creation's 202.
std::string Check(const Instance& instance, const ApiResponse& response) {
  const bool azure = instance.mode == lro::server::Mode::kAzure;
  if (response.status < 100 || response.status > 599) {
    Fail("status", std::to_string(response.status));
  }
  if (response.request_id.empty() ||
      !Contains(response.headers, "RequestId: " + response.request_id + "\r\n")) {
    Fail("an answer without its RequestId", response.headers);
  }
  if (azure && !Contains(response.headers, "x-ms-request-id: " + response.request_id + "\r\n")) {
    Fail("an Azure answer without x-ms-request-id", response.headers);
  }
  const std::string_view body = response.Body();
  if (response.status >= 400) {
    const auto error = ParseOrFail(body, "an error body that is not JSON");
    if (!error.is_object()) Fail("an error body that is not an object", body);
    if (azure) {
      const auto* inner = error.as_object().if_contains("error");
      if (inner == nullptr || !inner->is_object() || !inner->as_object().contains("code")) {
        Fail("an Azure error without error.code", body);
      }
    } else if (const auto* request_id = error.as_object().if_contains("requestId");
               !error.as_object().contains("errorCode") || request_id == nullptr ||
               *request_id != response.request_id.c_str()) {
      Fail("a Fabric error without errorCode and its requestId", body);
    }
    return {};
  }
  if (response.status == 200 &&
      (response.endpoint == Endpoint::kState || response.endpoint == Endpoint::kCancel)) {
    const auto state = ParseOrFail(body, "a state that is not JSON");
    CheckStatus(instance, state.at("status"), body);
  }
  if (response.status == 200 && response.endpoint == Endpoint::kList) {
    const auto list = ParseOrFail(body, "a list that is not JSON");
    for (const auto& entry : list.at("value").as_array()) {
      CheckStatus(instance, entry.at("status"), body);
    }
  }
  if (response.status == 202 && response.endpoint == Endpoint::kCreate) {
    const std::string_view name = azure ? "Operation-Location: " : "x-ms-operation-id: ";
    const auto at = response.headers.find(name);
    if (at == std::string::npos) Fail("a 202 that names no operation", response.headers);
    const auto end = response.headers.find("\r\n", at);
    std::string named = response.headers.substr(at + name.size(), end - at - name.size());
    return named.substr(named.rfind('/') + 1);
  }
  return {};
}

// Every state an event stream delivered is in the mode's enum; then the stream is closed.
void CheckEvents(const Instance& instance, lro::server::internal::EventStream& events) {
  auto delivered = std::make_shared<std::string>();
  // Completed at once: the stream holds at least its ": subscribed" comment.
  events.Next()->OnReady([delivered](ApiResponse batch) { *delivered = std::move(batch.body); });
  events.Finish();
  std::string_view rest = *delivered;
  for (auto at = rest.find("data: "); at != std::string_view::npos; at = rest.find("data: ")) {
    rest.remove_prefix(at + 6);
    const std::string_view line = rest.substr(0, rest.find('\n'));
    const auto event = ParseOrFail(line, "an event that is not JSON");
    const auto* status = event.is_object() ? event.as_object().if_contains("status") : nullptr;
    if (status == nullptr) Fail("an event without a status", line);
    CheckStatus(instance, *status, line);
  }
}

struct Created {
  std::string id;
  lro::Headers credentials;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  Instance& instance = Server((static_cast<unsigned char>(input.front()) & 1) != 0);
  input.remove_prefix(1);
  static constexpr const char* kMethods[] = {"GET",   "POST", "DELETE",  "PUT",
                                             "PATCH", "HEAD", "OPTIONS", "get"};
  std::vector<Created> created;
  std::vector<std::shared_ptr<lro::server::internal::EventStream>> streams;
  std::deque<Pending> held;
  std::string last_id;
  for (int requests = 0; !input.empty() && requests < 16; ++requests) {
    ApiRequest request;
    request.method = kMethods[static_cast<unsigned char>(input.front()) % 8];
    input.remove_prefix(1);
    request.target = std::string(Take(input));
    for (auto at = request.target.find("{id}"); at != std::string::npos;
         at = request.target.find("{id}", at + last_id.size())) {
      request.target.replace(at, 4, last_id);
    }
    while (!input.empty()) {
      const std::string_view name = Take(input);
      if (name.empty()) break;
      request.headers.push_back({std::string(name), std::string(Take(input))});
    }
    request.body = std::string(Take(input));
    lro::Headers credentials;
    if (auto authorization = lro::FindHeader(request.headers, "Authorization")) {
      credentials.push_back({"Authorization", std::string(*authorization)});
    }
    // A state read held by Prefer: wait is answered when its operation changes: at the
    // latest by the cancel below. Other answers are awaited now.
    const bool may_be_held =
        request.method == "GET" && request.target.starts_with("/v1/operations/");
    const std::string target = request.target;
    Api::Result result = instance.api->Handle(request);
    if (!result.now && !result.later) Fail("no answer", target);
    if (!result.now && may_be_held) {
      held.emplace_back(target).Await(result.later);
      continue;
    }
    ApiResponse response = result.now ? std::move(*result.now) : [&] {
      Pending pending(target);
      pending.Await(result.later);
      return pending.Get();
    }();
    if (std::string id = Check(instance, response); !id.empty()) {
      last_id = id;
      created.push_back({std::move(id), std::move(credentials)});
    }
    if (response.stream) streams.push_back(response.stream);
  }

  // Everything this input started ends: cancelled, then followed to a terminal state.
  for (const Created& operation : created) {
    Check(instance, Answer(*instance.api, {"DELETE", "/v1/operations/" + operation.id,
                                           operation.credentials, ""}));
  }
  for (const Created& operation : created) {
    lro::Headers headers = operation.credentials;
    headers.push_back({"Prefer", "wait=1"});
    for (int polls = 0;; ++polls) {
      if (polls == 30) Fail("an operation did not end after its cancel", operation.id);
      const ApiResponse state =
          Answer(*instance.api, {"GET", "/v1/operations/" + operation.id, headers, ""});
      Check(instance, state);
      if (state.status != 200) Fail("an accepted operation is not readable", operation.id);
      const auto parsed = ParseOrFail(state.Body(), "state");
      const std::string_view status = parsed.at("status").get_string();
      if (status == "Succeeded" || status == "Failed" || status == "Canceled") break;
    }
  }
  for (Pending& reply : held) Check(instance, reply.Get());
  for (const auto& stream : streams) CheckEvents(instance, *stream);

  // Finished operations do not pile up over a long run: expire and purge them now and then.
  static unsigned inputs = 0;
  if (++inputs % 1024 == 0) {
    g_clock->Advance(std::chrono::hours(25));
    instance.server->PurgeExpired();
  }
  return 0;
}
