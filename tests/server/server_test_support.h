// Helpers for lrod's tests: an in-process server on 127.0.0.1 over a temporary SQLite file,
// raw HTTP through the client library's transport, and a client.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lro/client.h"
#include "lro/http.h"
#include "lro/poller.h"
#include "lro/server/demo.h"
#include "lro/server/server.h"

namespace lro::server::test {

// A directory removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Options for a quiet test server on an ephemeral port, storing in `db`. Demo operations
// answer Retry-After: 0 so clients poll at their floor.
ServerOptions TestOptions(const std::string& db);
// TestOptions storing in `dir`, with an inline budget: operations that finish within it are
// answered 201 at once, others 202 (0: always 202).
ServerOptions Options(const TempDir& dir, std::chrono::milliseconds inline_budget);

// The demo's item collection the tests create in.
inline constexpr std::string_view kItems = "/v1/workspaces/ws1/items";

// A started server (the demo mounted unless told otherwise) and a way to talk to it.
class Harness {
 public:
  explicit Harness(ServerOptions options, bool demo = true,
                   const std::function<void(Server&)>& routes = {});
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  Harness(Harness&&) = delete;
  Harness& operator=(Harness&&) = delete;

  Server& server() { return *server_; }
  [[nodiscard]] std::string Url(std::string_view path) const;
  // One raw HTTP exchange (no LRO logic); fails the test on a transport error.
  HttpResponse Send(const std::string& method, std::string_view path, std::string body = "",
                    Headers headers = {});
  // A client, optionally sending `token` as a bearer token.
  [[nodiscard]] Client MakeClient(const std::string& token = "") const;

 private:
  std::unique_ptr<Server> server_;
  std::shared_ptr<HttpTransport> transport_;
};

// JSON body of a demo item creation.
std::string ItemBody(std::string_view name, std::optional<int> duration_ms = std::nullopt,
                     std::string_view extra_demo = "");
boost::json::value ParseJson(std::string_view text);
std::string Header(const HttpResponse& response, std::string_view name);
// Polls the state endpoint until the status is terminal (or `timeout`); returns the last body.
boost::json::object WaitTerminal(Harness& harness, const std::string& id,
                                 const Headers& headers = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
bool IsUuidV4(std::string_view text);
// A JSON string's value ("" for anything else).
std::string Str(const boost::json::value& value);
// WaitOptions with a local timeout.
WaitOptions Within(std::chrono::milliseconds timeout);

// A TCP connection to 127.0.0.1:`port` whose reads give up after `receive_timeout` (0: never);
// -1 when it could not connect.
int ConnectLoopback(std::uint16_t port, std::chrono::seconds receive_timeout);

// Writes `bytes` to 127.0.0.1:`port` on a fresh connection, returns everything read until the
// server closes (or 5 s).
std::string RawExchange(std::uint16_t port, std::string_view bytes);

}  // namespace lro::server::test
