#include "server_test_support.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <random>
#include <thread>

namespace lro::server::test {

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("lrod-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ServerOptions TestOptions(const std::string& db) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.store_url = "sqlite:" + db;
  options.log_sink = [](std::string_view) {};
  options.retry_after_by_type["Item.Create"] = std::chrono::seconds(0);
  options.worker_threads = 4;
  options.progress_debounce = std::chrono::milliseconds(0);
  return options;
}

ServerOptions Options(const TempDir& dir, std::chrono::milliseconds inline_budget) {
  ServerOptions options = TestOptions(dir.File("ops.db"));
  options.inline_budget = inline_budget;
  return options;
}

Harness::Harness(ServerOptions options, bool demo, const std::function<void(Server&)>& routes)
    : server_(std::make_unique<Server>(std::move(options))), transport_(MakeCurlTransport()) {
  if (demo) RegisterDemoService(*server_);
  if (routes) routes(*server_);
  const Status status = server_->Start();
  EXPECT_TRUE(status.ok()) << status.ToString();
}

Harness::~Harness() { server_->Stop(); }

std::string Harness::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
}

HttpResponse Harness::Send(const std::string& method, std::string_view path, std::string body,
                           Headers headers) {
  HttpRequest request{method, Url(path), std::move(headers), std::move(body)};
  if (!request.body.empty() && !FindHeader(request.headers, "Content-Type")) {
    request.headers.push_back({"Content-Type", "application/json"});
  }
  auto response = transport_->Send(request, {});
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? *response : HttpResponse{};
}

Client Harness::MakeClient(const std::string& token) const {
  ClientOptions options;
  options.transport = transport_;
  if (!token.empty()) {
    options.credentials = [token]() -> StatusOr<Headers> {
      return Headers{{"Authorization", "Bearer " + token}};
    };
  }
  options.polling.floor = std::chrono::milliseconds(5);
  options.retry.initial = std::chrono::milliseconds(20);
  return Client(std::move(options));
}

std::string ItemBody(std::string_view name, std::optional<int> duration_ms,
                     std::string_view extra_demo) {
  std::string body = R"({"displayName":")" + std::string(name) + R"(","type":"Notebook")";
  if (duration_ms || !extra_demo.empty()) {
    body += R"(,"demo":{)";
    bool first = true;
    if (duration_ms) {
      body += R"("durationMs":)" + std::to_string(*duration_ms);
      first = false;
    }
    if (!extra_demo.empty()) {
      if (!first) body += ',';
      body += extra_demo;
    }
    body += '}';
  }
  body += '}';
  return body;
}

boost::json::value ParseJson(std::string_view text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return value;
}

std::string Header(const HttpResponse& response, std::string_view name) {
  return std::string(FindHeader(response.headers, name).value_or(""));
}

boost::json::object WaitTerminal(Harness& harness, const std::string& id, const Headers& headers,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  boost::json::object last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto response = harness.Send("GET", "/v1/operations/" + id, "", headers);
    if (response.status != 200) {
      ADD_FAILURE() << "state of " << id << " answered " << response.status << " " << response.body;
      return last;
    }
    last = ParseJson(response.body).as_object();
    const auto status = last.at("status").as_string();
    if (status == "Succeeded" || status == "Failed" || status == "Canceled") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "operation " << id << " did not finish";
  return last;
}

bool IsUuidV4(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return text[14] == '4' &&
         (text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

std::string Str(const boost::json::value& value) {
  return value.is_string() ? std::string(value.get_string()) : std::string();
}

WaitOptions Within(std::chrono::milliseconds timeout) {
  WaitOptions options;
  options.timeout = timeout;
  return options;
}

int ConnectLoopback(std::uint16_t port, std::chrono::seconds receive_timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (receive_timeout.count() > 0) {
    timeval timeout{static_cast<time_t>(receive_timeout.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string RawExchange(std::uint16_t port, std::string_view bytes) {
  const int fd = ConnectLoopback(port, std::chrono::seconds(5));
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string received;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return received;
}

}  // namespace lro::server::test
