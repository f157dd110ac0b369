// GET /v1/operations/events over real HTTP: the caller's state changes as Server-Sent Events
// (the /ui page's live updates), only the caller's, until the server stops.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "server_test_support.h"

namespace lro::server::test {
namespace {

using std::chrono::steady_clock;

// One raw connection reading an event stream.
class StreamReader {
 public:
  StreamReader(std::uint16_t port, const std::string& token) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    std::string request = "GET /v1/operations/events HTTP/1.1\r\nHost: test\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    request += "\r\n";
    EXPECT_EQ(send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }
  ~StreamReader() { close(fd_); }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Reads until `text` has arrived (true), the server closed, or 30 s passed.
  bool ReadUntil(const std::string& text) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (received_.find(text) == std::string::npos) {
      if (closed_ || steady_clock::now() >= deadline) return false;
      Read(deadline);
    }
    return true;
  }
  // Reads until the server closes (true) or 30 s passed.
  bool ReadUntilClosed() {
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (!closed_ && steady_clock::now() < deadline) Read(deadline);
    return closed_;
  }
  [[nodiscard]] const std::string& received() const { return received_; }

 private:
  void Read(steady_clock::time_point deadline) {
    pollfd entry{fd_, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (poll(&entry, 1, static_cast<int>(std::max<long long>(0, left.count()))) <= 0) return;
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    received_.append(buffer, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

ServerOptions AuthOptions(const TempDir& dir) {
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.bearer_tokens = {{"token-a", "alice"}, {"token-b", "bob"}};
  return options;
}

std::string Create(Harness& h, const std::string& token, const std::string& name, int ms) {
  auto raw = h.Send("POST", kItems, ItemBody(name, ms), {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(raw.status, 202) << raw.body;
  return Header(raw, "x-ms-operation-id");
}

TEST(EventStream, StreamsTheCallersStateChangesAndOnlyTheirs) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader alice(h.server().port(), "token-a");
  ASSERT_TRUE(alice.ReadUntil(": subscribed\n\n")) << alice.received();
  EXPECT_NE(alice.received().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(alice.received().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_EQ(alice.received().find("Content-Length"), std::string::npos);

  const std::string bobs = Create(h, "token-b", "bob's", 10);
  const std::string mine = Create(h, "token-a", "alice's", 10);
  // The entry of the list endpoint, with the name the demo gave the operation.
  ASSERT_TRUE(alice.ReadUntil("\"id\":\"" + mine +
                              "\",\"type\":\"Item.Create\",\"displayName\":\"alice's\","
                              "\"status\":\"Succeeded\""))
      << alice.received();
  EXPECT_NE(alice.received().find("event: state\ndata: {"), std::string::npos);
  WaitTerminal(h, bobs, {{"Authorization", "Bearer token-b"}});
  EXPECT_EQ(alice.received().find(bobs), std::string::npos) << alice.received();
}

TEST(EventStream, WantsATokenWithAuth) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader anonymous(h.server().port(), "");
  ASSERT_TRUE(anonymous.ReadUntil("HTTP/1.1 401")) << anonymous.received();
}

TEST(EventStream, StoppingTheServerEndsTheStream) {
  TempDir dir;
  Harness h(AuthOptions(dir));
  StreamReader alice(h.server().port(), "token-a");
  ASSERT_TRUE(alice.ReadUntil(": subscribed\n\n")) << alice.received();
  h.server().Stop();
  EXPECT_TRUE(alice.ReadUntilClosed());
}

}  // namespace
}  // namespace lro::server::test
