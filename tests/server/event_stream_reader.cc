#include "event_stream_reader.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "server_test_support.h"

namespace lro::server::test {

using std::chrono::steady_clock;

StreamReader::StreamReader(std::uint16_t port, const std::string& token)
    : fd_(ConnectLoopback(port, std::chrono::seconds(0))) {
  EXPECT_GE(fd_, 0);
  std::string request = "GET /v1/operations/events HTTP/1.1\r\nHost: test\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "\r\n";
  EXPECT_EQ(send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
}

StreamReader::~StreamReader() {
  if (fd_ >= 0) close(fd_);
}

bool StreamReader::ReadUntil(const std::string& text) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (received_.find(text) == std::string::npos) {
    if (closed_ || steady_clock::now() >= deadline) return false;
    Read(deadline);
  }
  return true;
}

bool StreamReader::ReadUntilClosed() {
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (!closed_ && steady_clock::now() < deadline) Read(deadline);
  return closed_;
}

void StreamReader::Read(steady_clock::time_point deadline) {
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

}  // namespace lro::server::test
