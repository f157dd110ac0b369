// Proxies come from the environment (docs/client.md, "Transport"). lro reads the variables once,
// when an engine or a transport is made, and hands them to libcurl, which would otherwise look
// them up at every request. The same variables and precedence as libcurl: http_proxy (never
// HTTP_PROXY), then all_proxy / ALL_PROXY; no_proxy names hosts reached directly. Each test
// runs as a process of its own (gtest_discover_tests), so the environment it sets stays its
// own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lro/client.h"
#include "lro/engine.h"
#include "refusing_port.h"
#include "test_http_server.h"
#include "test_util.h"

namespace lro::test {
namespace {

// Sets the proxy variables a test names and clears the others; restores all of them after.
class ProxyEnvironment {
 public:
  explicit ProxyEnvironment(const std::vector<std::pair<std::string, std::string>>& set) {
    for (const char* name : kNames) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name,
                          value != nullptr ? std::optional<std::string>(value) : std::nullopt);
      unsetenv(name);
    }
    for (const auto& [name, value] : set) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ProxyEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  ProxyEnvironment(const ProxyEnvironment&) = delete;
  ProxyEnvironment& operator=(const ProxyEnvironment&) = delete;
  ProxyEnvironment(ProxyEnvironment&&) = delete;
  ProxyEnvironment& operator=(ProxyEnvironment&&) = delete;

 private:
  static constexpr const char* kNames[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                           "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// An Azure-style service: POST /jobs answers 202 with Operation-Location http://{Host}/ops/1,
// which says Succeeded; any other GET answers the result. (The Host header names the service
// whether the request came directly or through a proxy.)
HttpResponse ServiceAnswer(const HttpRequest& request) {
  const std::string base =
      "http://" + std::string(FindHeader(request.headers, "Host").value_or(""));
  if (request.method == "POST") {
    return HttpResponse{202, {{"Operation-Location", base + "/ops/1"}, {"Retry-After", "0"}}, {}};
  }
  if (request.url.ends_with("/ops/1")) {
    return HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"status":"Succeeded"})"};
  }
  return HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"id":"job-1"})"};
}

// Starts one operation at `url` on the engine and one on the blocking face; both must end
// succeeded.
void RunBothFaces(const std::string& url) {
  ClientOptions options = FastClientOptions();
  options.engine = std::make_shared<Engine>();
  Client client(options);
  auto async_result = Await(client.StartAsync(Request::Post(url).Json("{}")).Future());
  ASSERT_TRUE(async_result.ok()) << async_result.status().ToString();
  auto blocking_result = client.Start(Request::Post(url).Json("{}")).Wait();
  ASSERT_TRUE(blocking_result.ok()) << blocking_result.status().ToString();
}

// With only `variable` naming a proxy, every request of both faces goes through it: the
// service's own port refuses connections, so only the proxy can answer for it.
void ExpectTheProxyCarriesEveryRequest(const std::string& variable) {
  RefusingPort unreachable;
  const std::string base = unreachable.base_url();
  TestHttpServer proxy(ServiceAnswer);
  ProxyEnvironment environment({{variable, proxy.base_url()}});

  RunBothFaces(base + "/jobs");
  const std::vector<HttpRequest> seen = proxy.requests();
  ASSERT_GE(seen.size(), 4U);
  for (const HttpRequest& request : seen) {
    // A proxy gets the absolute URL as the request target.
    EXPECT_TRUE(request.url.starts_with(base + "/")) << request.url;
  }
}

// With `environment` set (a proxy among it, at `{proxy}`), every request reaches the service
// directly and the proxy sees none.
void ExpectTheServiceReachedDirectly(
    const std::vector<std::pair<std::string, std::string>>& environment_with_proxy) {
  TestHttpServer proxy([](const HttpRequest&) { return HttpResponse{502, {}, "proxy"}; });
  TestHttpServer service(ServiceAnswer);
  std::vector<std::pair<std::string, std::string>> variables = environment_with_proxy;
  for (auto& [name, value] : variables) {
    if (value == "{proxy}") value = proxy.base_url();
  }
  ProxyEnvironment environment(variables);

  RunBothFaces(service.base_url() + "/jobs");
  EXPECT_TRUE(proxy.requests().empty());
  EXPECT_GE(service.requests().size(), 4U);
}

TEST(EnvironmentProxies, HttpProxyCarriesEveryRequestOfBothFaces) {
  ExpectTheProxyCarriesEveryRequest("http_proxy");
}

TEST(EnvironmentProxies, AllProxyServesWhenNoSchemeProxyIsSet) {
  ExpectTheProxyCarriesEveryRequest("all_proxy");
}

TEST(EnvironmentProxies, NoProxyHostsAreReachedDirectly) {
  ExpectTheServiceReachedDirectly({{"http_proxy", "{proxy}"}, {"no_proxy", "127.0.0.1"}});
}

TEST(EnvironmentProxies, UppercaseHttpProxyIsIgnoredAsLibcurlIgnoresIt) {
  // HTTP_PROXY can be set by a CGI request's Proxy header ("httpoxy"): libcurl never reads it.
  ExpectTheServiceReachedDirectly({{"HTTP_PROXY", "{proxy}"}});
}

}  // namespace
}  // namespace lro::test
