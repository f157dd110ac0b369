// The libcurl transport against a real loopback server: the HttpTransport contract of
// lro/http.h.
#include "lro/curl_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lro/cancellation.h"
#include "lro/http.h"
#include "refusing_port.h"
#include "test_http_server.h"
#include "test_util.h"

namespace lro::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HttpRequest Get(const std::string& url) { return HttpRequest{"GET", url, {}, {}}; }

TEST(CurlTransportTest, RequestAndResponseRoundTrip) {
  TestHttpServer server([](const HttpRequest&) {
    return HttpResponse{201,
                        {{"X-Answer-Header", "forty two"},
                         {"Set-Cookie", "a=1; Path=/"},
                         {"Set-Cookie", "b=2; Path=/"},
                         {"Content-Type", "application/json"}},
                        R"({"ok":true})"};
  });
  auto transport = MakeCurlTransport();
  HttpRequest request{"PUT",
                      server.base_url() + "/items/1?api-version=2024-01-01&x=a%20b",
                      {{"X-Custom-Header", "Value With Spaces"},
                       {"x-ms-client-request-id", "cid-1"},
                       {"X-Empty", ""},
                       {"Content-Type", "application/json"}},
                      R"({"name":"nb"})"};
  StatusOr<HttpResponse> response = transport->Send(request, {});
  ASSERT_TRUE(response.ok()) << response.status().ToString();

  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(FindHeader(response->headers, "x-answer-header").value_or(""), "forty two");
  // Names as the server sent them, duplicates kept in order.
  std::vector<std::string> cookies;
  bool saw_exact_name = false;
  for (const Header& header : response->headers) {
    if (header.name == "Set-Cookie") cookies.push_back(header.value);
    saw_exact_name = saw_exact_name || header.name == "X-Answer-Header";
  }
  EXPECT_TRUE(saw_exact_name);
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1; Path=/", "b=2; Path=/"}));

  std::vector<HttpRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].url, "/items/1?api-version=2024-01-01&x=a%20b");
  EXPECT_EQ(seen[0].body, R"({"name":"nb"})");
  EXPECT_EQ(HeaderOf(seen[0], "x-custom-header"), "Value With Spaces");
  EXPECT_EQ(HeaderOf(seen[0], "x-ms-client-request-id"), "cid-1");
  EXPECT_EQ(HeaderOf(seen[0], "Content-Type"), "application/json");
  EXPECT_TRUE(FindHeader(seen[0].headers, "X-Empty").has_value());
  bool saw_name_as_given = false;
  for (const Header& header : seen[0].headers) {
    saw_name_as_given = saw_name_as_given || header.name == "X-Custom-Header";
  }
  EXPECT_TRUE(saw_name_as_given);
}

TEST(CurlTransportTest, MethodsAndBodies) {
  TestHttpServer server([](const HttpRequest& request) {
    return HttpResponse{200, {}, request.method + ":" + request.body};
  });
  auto transport = MakeCurlTransport();
  const std::string url = server.base_url() + "/x";

  // A POST without a body still says Content-Length: 0, and curl's form Content-Type is not
  // added.
  auto post = transport->Send(HttpRequest{"POST", url, {}, {}}, {});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "POST:");
  auto patch = transport->Send(HttpRequest{"PATCH", url, {}, "patch-body"}, {});
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  EXPECT_EQ(patch->body, "PATCH:patch-body");
  auto del = transport->Send(HttpRequest{"DELETE", url, {}, {}}, {});
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->body, "DELETE:");
  auto custom = transport->Send(HttpRequest{"PURGE", url, {}, "p"}, {});
  ASSERT_TRUE(custom.ok()) << custom.status().ToString();
  EXPECT_EQ(custom->body, "PURGE:p");
  // HEAD: headers only, and the connection stays usable.
  auto head = transport->Send(HttpRequest{"HEAD", url, {}, {}}, {});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  auto get = transport->Send(Get(url), {});
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->body, "GET:");

  std::vector<HttpRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 6U);
  EXPECT_EQ(HeaderOf(seen[0], "Content-Length"), "0");
  EXPECT_FALSE(FindHeader(seen[0].headers, "Content-Type").has_value());
  EXPECT_FALSE(FindHeader(seen[1].headers, "Expect").has_value());
  EXPECT_EQ(seen[4].method, "HEAD");
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST(CurlTransportTest, LargeBodiesBothWays) {
  TestHttpServer server([](const HttpRequest& request) {
    return HttpResponse{200, {}, std::string(request.body.rbegin(), request.body.rend())};
  });
  auto transport = MakeCurlTransport();
  std::string body(std::size_t{3} * 1024 * 1024, 'a');
  body.back() = 'z';
  auto response = transport->Send(HttpRequest{"POST", server.base_url() + "/big", {}, body}, {});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ASSERT_EQ(response->body.size(), body.size());
  EXPECT_EQ(response->body.front(), 'z');
}

TEST(CurlTransportTest, ErrorStatusesAreResponsesNotErrors) {
  TestHttpServer server([](const HttpRequest& request) {
    const int status = std::stoi(request.url.substr(1));
    return HttpResponse{status, {{"Retry-After", "0"}}, "status " + std::to_string(status)};
  });
  auto transport = MakeCurlTransport();
  for (int status : {202, 204, 301, 302, 400, 404, 429, 500, 503}) {
    auto response = transport->Send(Get(server.base_url() + "/" + std::to_string(status)), {});
    ASSERT_TRUE(response.ok()) << status << ": " << response.status().ToString();
    EXPECT_EQ(response->status, status);
    if (status != 204) {
      EXPECT_EQ(response->body, "status " + std::to_string(status));
    }
  }
}

TEST(CurlTransportTest, DoesNotFollowRedirects) {
  TestHttpServer server([](const HttpRequest& request) {
    if (request.url == "/from") return HttpResponse{302, {{"Location", "/to"}}, {}};
    return HttpResponse{200, {}, "followed"};
  });
  auto response = MakeCurlTransport()->Send(Get(server.base_url() + "/from"), {});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(FindHeader(response->headers, "Location").value_or(""), "/to");
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(CurlTransportTest, ReusesTheConnectionAcrossSequentialRequests) {
  TestHttpServer server([](const HttpRequest&) { return HttpResponse{200, {}, "ok"}; });
  auto transport = MakeCurlTransport();
  for (int i = 0; i < 5; ++i) {
    auto response = transport->Send(Get(server.base_url() + "/r" + std::to_string(i)), {});
    ASSERT_TRUE(response.ok()) << response.status().ToString();
  }
  EXPECT_EQ(server.requests().size(), 5U);
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST(CurlTransportTest, SafeFromManyThreadsAtOnce) {
  TestHttpServer server([](const HttpRequest& request) {
    return HttpResponse{200, {}, request.url};
  });
  auto transport = MakeCurlTransport();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(6);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto response = transport->Send(Get(server.base_url() + path), {});
        if (response.ok() && response->body == path) good.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 60);
  // Connections are pooled, not opened per request.
  EXPECT_LE(server.connections_accepted(), 6 + 16);
}

TEST(CurlTransportTest, BodyOverTheCapIsAProtocolError) {
  TestHttpServer server([](const HttpRequest& request) {
    return HttpResponse{200, {}, std::string(request.url == "/small" ? 100 : 1000, 'x')};
  });
  CurlTransportOptions options;
  options.max_body_bytes = 100;
  auto transport = MakeCurlTransport(options);

  auto small = transport->Send(Get(server.base_url() + "/small"), {});
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->body.size(), 100U);

  auto big = transport->Send(Get(server.base_url() + "/big"), {});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kProtocolError);
  EXPECT_EQ(big.status().message(), "response body exceeds 100 bytes");
}

TEST(CurlTransportTest, RequestTimeoutIsUnavailable) {
  Gate gate;
  TestHttpServer server([&gate](const HttpRequest&) {
    gate.Pass();
    return HttpResponse{200, {}, "late"};
  });
  CurlTransportOptions options;
  options.request_timeout = std::chrono::milliseconds(200);
  auto response = MakeCurlTransport(options)->Send(Get(server.base_url() + "/slow"), {});
  gate.Open();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("timed out"));
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1:" + std::to_string(server.port())));
  EXPECT_FALSE(gate.timed_out());
}

TEST(CurlTransportTest, CancellationEndsAnInFlightTransfer) {
  Gate gate;
  TestHttpServer server([&gate](const HttpRequest& request) {
    if (request.url == "/slow") gate.Pass();
    return HttpResponse{200, {}, "answer"};
  });
  auto transport = MakeCurlTransport();
  CancellationSource source;
  std::thread canceller([&] {
    if (gate.AwaitArrivals(1)) source.Cancel();
  });
  auto response = transport->Send(Get(server.base_url() + "/slow"), source.token());
  // Opened only after Send returned: a transport that waited for the answer would have been
  // released by the gate's safety deadline instead.
  gate.Open();
  canceller.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled);
  EXPECT_FALSE(gate.timed_out());

  // The transport is still good for the next request.
  auto next = transport->Send(Get(server.base_url() + "/fast"), {});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->body, "answer");
}

TEST(CurlTransportTest, AlreadyCancelledTokenSendsNothing) {
  TestHttpServer server([](const HttpRequest&) { return HttpResponse{200, {}, {}}; });
  CancellationSource source;
  source.Cancel();
  auto response = MakeCurlTransport()->Send(Get(server.base_url() + "/"), source.token());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(server.requests().size(), 0U);
}

TEST(CurlTransportTest, AHeaderThatWouldSplitTheRequestIsRefusedAndNothingIsSent) {
  // A line break in a name or value would end the header there and start another one (request
  // splitting); a colon in a name would move the split between name and value.
  TestHttpServer server([](const HttpRequest&) { return HttpResponse{200, {}, {}}; });
  auto transport = MakeCurlTransport();
  const std::vector<Header> refused = {{"X-Note", "a\r\nX-Injected: 1"},
                                       {"X-Note", "a\nb"},
                                       {"X-Note", "a\rb"},
                                       {"X-Na:me", "value"},
                                       {"X-Na\nme", "value"},
                                       {"", "value"}};
  for (const Header& header : refused) {
    HttpRequest request = Get(server.base_url() + "/");
    request.headers.push_back(header);
    auto response = transport->Send(request, CancellationToken());
    ASSERT_FALSE(response.ok()) << header.name << ": " << header.value;
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(response.status().message(), Not(HasSubstr("Injected")));
  }
  EXPECT_EQ(server.requests().size(), 0U);
  // The same characters elsewhere are fine: a colon in a value.
  HttpRequest fine = Get(server.base_url() + "/");
  fine.headers.push_back({"X-Note", "a: b"});
  auto response = transport->Send(fine, CancellationToken());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ASSERT_EQ(server.requests().size(), 1U);
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailableAndNamesTheHost) {
  const RefusingPort refusing;
  const std::uint16_t port = refusing.port();
  HttpRequest request = Get("http://127.0.0.1:" + std::to_string(port) + "/x?sig=query-secret");
  request.headers.push_back({"Authorization", "Bearer header-secret"});
  auto response = MakeCurlTransport()->Send(request, {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  const std::string message = response.status().message();
  EXPECT_THAT(message, HasSubstr("connect to 127.0.0.1:" + std::to_string(port) + " failed"));
  EXPECT_THAT(message, Not(HasSubstr("header-secret")));
  EXPECT_THAT(message, Not(HasSubstr("query-secret")));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(CurlTransportTest, UnknownHostIsUnavailable) {
  auto response = MakeCurlTransport()->Send(Get("http://no-such-host.invalid/x"), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("no-such-host.invalid"));
}

TEST(CurlTransportTest, ServerShutdownWithIdleKeepAliveConnection) {
  auto transport = MakeCurlTransport();
  {
    TestHttpServer server([](const HttpRequest&) { return HttpResponse{200, {}, "ok"}; });
    auto response = transport->Send(Get(server.base_url() + "/"), {});
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    // The transport keeps the connection open; the server's destructor must still return.
  }
  // A new server on a new port is served on a new connection.
  TestHttpServer server([](const HttpRequest&) { return HttpResponse{200, {}, "again"}; });
  auto response = transport->Send(Get(server.base_url() + "/"), {});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body, "again");
}

}  // namespace
}  // namespace lro::test
