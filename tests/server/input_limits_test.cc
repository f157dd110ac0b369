// Hostile input on real sockets against the real lrod: slow and incomplete requests, chunked
// bodies over the limit, oversized heads, more connections than allowed. Each gets the
// documented answer (408, 413, 431, 503) while lrod keeps serving everyone else, and its
// memory stays bounded. Slowness is the test holding bytes back; lrod's limits are made small
// with its flags so that each case ends quickly.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lrod_process.h"
#include "server_test_support.h"

namespace lro::server::test {
namespace {

// One client connection whose every byte the test decides. Reads give up after 30 s.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port)
      : fd_(ConnectLoopback(port, std::chrono::seconds(30))) {}
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection(RawConnection&&) = delete;
  RawConnection& operator=(RawConnection&&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  // Sends what the peer takes; false once it stopped taking (it answered and closed).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Everything until the peer closes (or 30 s without a byte).
  std::string ReadUntilClosed() {
    std::string received;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return received;
      received.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // One answer on a keep-alive connection: its head and a Content-Length body.
  std::string ReadAnswer() {
    std::string received;
    char byte = 0;
    while (received.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &byte, 1, 0) == 1) {
      received += byte;
    }
    const auto at = received.find("Content-Length: ");
    std::size_t length = at == std::string::npos ? 0 : std::stoul(received.substr(at + 16));
    while (length > 0 && ::recv(fd_, &byte, 1, 0) == 1) {
      received += byte;
      --length;
    }
    return received;
  }

 private:
  int fd_;
};

constexpr std::string_view kHealth = "GET /healthz HTTP/1.1\r\nHost: lrod\r\n\r\n";

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

// lrod's resident memory in KiB.
long ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A fresh connection answers /healthz.
void ExpectServed(std::uint16_t port) {
  const std::string answer = RawExchange(port,
                                         "GET /healthz HTTP/1.1\r\nHost: lrod\r\n"
                                         "Connection: close\r\n\r\n");
  EXPECT_TRUE(StartsWith(answer, "HTTP/1.1 200")) << answer;
}

class InputLimits : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args) {
    lrod_ = std::make_unique<LrodProcess>(dir_, "lrod", "sqlite:" + dir_.File("ops.db"),
                                          std::move(args));
    ASSERT_TRUE(lrod_->WaitListening()) << lrod_->Log();
  }
  std::uint16_t port() const { return lrod_->port(); }

  TempDir dir_;
  std::unique_ptr<LrodProcess> lrod_;
};

TEST_F(InputLimits, ARequestNotReceivedInTimeIs408AndOthersAreServedMeanwhile) {
  Start({"--idle-timeout=300ms"});
  RawConnection head(port());
  RawConnection body(port());
  RawConnection idle(port());
  ASSERT_TRUE(head.connected() && body.connected() && idle.connected());
  ASSERT_TRUE(head.Send("GET /healthz HTTP/1.1\r\nHost: lrod\r\nX-Slow: "));
  ASSERT_TRUE(
      body.Send("POST /v1/workspaces/ws/items HTTP/1.1\r\nHost: lrod\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"displ"));
  // Held back by the test: lrod serves a new connection meanwhile.
  ExpectServed(port());

  for (RawConnection* slow : {&head, &body}) {
    const std::string answer = slow->ReadUntilClosed();
    EXPECT_TRUE(StartsWith(answer, "HTTP/1.1 408")) << answer;
    EXPECT_NE(answer.find("\"errorCode\":\"RequestTimeout\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("RequestId: "), std::string::npos) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  }
  // A connection that never began a request is closed without an answer.
  EXPECT_EQ(idle.ReadUntilClosed(), "");
  ExpectServed(port());
}

TEST_F(InputLimits, ChunkedBodiesOverTheLimitAre413AndMemoryStaysBounded) {
  Start({"--max-body=1024", "--idle-timeout=5s"});
  const long before = ResidentKib(lrod_->pid());
  std::size_t sent = 0;
  {
    // Chunks adding up to more than the limit.
    RawConnection chunks(port());
    std::string request =
        "POST /v1/workspaces/ws/items HTTP/1.1\r\nHost: lrod\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) request += "100\r\n" + std::string(256, 'x') + "\r\n";
    chunks.Send(request);
    const std::string answer = chunks.ReadUntilClosed();
    EXPECT_TRUE(StartsWith(answer, "HTTP/1.1 413")) << answer;
    EXPECT_NE(answer.find("RequestBodyTooLarge"), std::string::npos) << answer;
  }
  {
    // One chunk header that never ends (an endless chunk extension): lrod stops reading it
    // at its bound rather than buffering all of it.
    RawConnection extension(port());
    extension.Send(
        "POST /v1/workspaces/ws/items HTTP/1.1\r\nHost: lrod\r\nTransfer-Encoding: chunked\r\n"
        "\r\n10;ext=");
    const std::string endless(std::size_t{64} * 1024, 'e');
    for (int i = 0; i < 128 && extension.Send(endless); ++i) sent += endless.size();
    const std::string answer = extension.ReadUntilClosed();
    EXPECT_TRUE(StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
  }
  ExpectServed(port());
  const long after = ResidentKib(lrod_->pid());
  std::printf(
      "lrod resident memory: %ld KiB before, %ld KiB after a chunk header of %zu KiB (the "
      "test stopped sending when lrod answered)\n",
      before, after, sent / 1024);
  EXPECT_LT(after - before, 4 * 1024) << "KiB";
}

TEST_F(InputLimits, AHeadOverTheLimitIs431) {
  Start({"--max-header=2048"});
  RawConnection big(port());
  big.Send("GET /healthz HTTP/1.1\r\nHost: lrod\r\nX-Big: " + std::string(4096, 'y') + "\r\n\r\n");
  const std::string answer = big.ReadUntilClosed();
  EXPECT_TRUE(StartsWith(answer, "HTTP/1.1 431")) << answer.substr(0, 200);
  EXPECT_NE(answer.find("RequestHeadersTooLarge"), std::string::npos) << answer;
  ExpectServed(port());
}

TEST_F(InputLimits, ConnectionsBeyondTheLimitAre503AndIdleOnesCostLittle) {
  constexpr int kLimit = 400;
  Start({"--max-connections=" + std::to_string(kLimit)});
  const long before = ResidentKib(lrod_->pid());
  // One connection the test keeps for itself, the rest idle.
  RawConnection mine(port());
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < kLimit - 1; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  // Until lrod has accepted every one of them (a count lrod reports, not a time).
  const std::string all_open = "lrod_connections_open " + std::to_string(kLimit) + "\n";
  std::string metrics;
  for (int i = 0; i < 3000 && metrics.find(all_open) == std::string::npos; ++i) {
    ASSERT_TRUE(mine.Send("GET /metrics HTTP/1.1\r\nHost: lrod\r\n\r\n"));
    metrics = mine.ReadAnswer();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_NE(metrics.find(all_open), std::string::npos) << metrics;
  const long with_idle = ResidentKib(lrod_->pid());

  RawConnection beyond(port());
  const std::string refused = beyond.ReadUntilClosed();
  EXPECT_TRUE(StartsWith(refused, "HTTP/1.1 503")) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_NE(refused.find("RequestId: "), std::string::npos) << refused;

  // Those within the limit are served meanwhile.
  ASSERT_TRUE(mine.Send(kHealth));
  EXPECT_TRUE(StartsWith(mine.ReadAnswer(), "HTTP/1.1 200"));
  // A closed connection frees its place.
  idle.pop_back();
  const std::string one_free = "lrod_connections_open " + std::to_string(kLimit - 1) + "\n";
  for (int i = 0; i < 3000 && metrics.find(one_free) == std::string::npos; ++i) {
    ASSERT_TRUE(mine.Send("GET /metrics HTTP/1.1\r\nHost: lrod\r\n\r\n"));
    metrics = mine.ReadAnswer();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ExpectServed(port());
  std::printf("lrod resident memory: %ld KiB, %ld KiB with %d idle connections\n", before,
              with_idle, kLimit);
  EXPECT_LT(with_idle - before, 16 * 1024) << "KiB";
}

}  // namespace
}  // namespace lro::server::test
