#include "fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

namespace lro::test {
namespace {

constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxBodyBytes = std::size_t{16} * 1024 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// The status line and header block of `reply`; `content_length` is announced unless the
// status has no body.
std::string HeadOf(const FaultReply& reply, std::size_t content_length, bool close) {
  const int status = reply.response.status;
  std::string head = "HTTP/1.1 " + std::to_string(status) + " Fault\r\n";
  for (const Header& header : reply.response.headers) {
    if (EqualsIgnoreCase(header.name, "Content-Length")) continue;
    head += header.name + ": " + header.value + "\r\n";
  }
  for (const std::string& line : reply.raw_header_lines) head += line + "\r\n";
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless) head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  if (close) head += "Connection: close\r\n";
  return head + "\r\n";
}

}  // namespace

struct FaultServer::Impl {
  explicit Impl(Handler h) : handler(std::move(h)) {}

  void AcceptLoop() {
    for (;;) {
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping.load()) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex);
      if (stopping.load()) {
        ::close(fd);
        return;
      }
      connections.push_back(fd);
      threads.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads one request; nullopt when the client closed, sent garbage or the server stops.
  std::optional<HttpRequest> Read(int fd, std::string& buffer) {
    std::size_t end = std::string::npos;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes || !Receive(fd, buffer)) return std::nullopt;
    }
    HttpRequest request;
    std::string_view head(buffer.data(), end);
    const std::size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const std::size_t first = line.find(' ');
    const std::size_t second = line.find(' ', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
    request.method = std::string(line.substr(0, first));
    request.url = std::string(line.substr(first + 1, second - first - 1));
    std::size_t content_length = 0;
    std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
    while (!rest.empty()) {
      const std::size_t next = rest.find("\r\n");
      std::string_view field = rest.substr(0, next);
      rest = next == std::string_view::npos ? "" : rest.substr(next + 2);
      const std::size_t colon = field.find(':');
      if (colon == std::string_view::npos) continue;
      Header header{std::string(Trim(field.substr(0, colon))),
                    std::string(Trim(field.substr(colon + 1)))};
      if (EqualsIgnoreCase(header.name, "Content-Length")) {
        content_length = std::strtoul(header.value.c_str(), nullptr, 10);
      }
      request.headers.push_back(std::move(header));
    }
    if (content_length > kMaxBodyBytes) return std::nullopt;
    buffer.erase(0, end + 4);
    while (buffer.size() < content_length) {
      if (!Receive(fd, buffer)) return std::nullopt;
    }
    request.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);
    return request;
  }

  bool Receive(int fd, std::string& buffer) {
    char chunk[4096];
    for (;;) {
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(got));
      return true;
    }
  }

  // Holds the connection open and silent until the client closes it or the server stops.
  void Stall(int fd) {
    while (!stopping.load()) {
      pollfd watched{fd, POLLIN, 0};
      const int ready = ::poll(&watched, 1, 20);
      if (ready < 0 && errno != EINTR) return;
      if (ready > 0) {
        char byte = 0;
        if (::recv(fd, &byte, 1, MSG_PEEK) <= 0) return;  // the client left
      }
    }
  }

  // Answers `reply` on `fd`; false when the connection must end.
  bool Deliver(int fd, const FaultReply& reply, bool client_keeps_alive) {
    const std::string& body = reply.response.body;
    switch (reply.delivery) {
      case Delivery::kReset: {
        const linger abort_on_close{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        return false;  // the close sends RST
      }
      case Delivery::kStall:
        Stall(fd);
        return false;
      case Delivery::kTruncated: {
        // Announce 16 bytes more than the body, send half of what is announced, then FIN.
        const std::string announced = body + std::string(16, ' ');
        SendAll(fd, HeadOf(reply, announced.size(), true));
        SendAll(fd, std::string_view(announced).substr(0, announced.size() / 2));
        ::shutdown(fd, SHUT_WR);
        return false;
      }
      case Delivery::kSlow: {
        if (!SendAll(fd, HeadOf(reply, body.size(), !client_keeps_alive))) return false;
        constexpr std::size_t kPiece = 7;
        for (std::size_t at = 0; at < body.size(); at += kPiece) {
          std::this_thread::sleep_for(std::chrono::milliseconds(3));
          if (!SendAll(fd, std::string_view(body).substr(at, kPiece))) return false;
        }
        return client_keeps_alive;
      }
      case Delivery::kWhole:
        break;
    }
    const bool bodiless =
        reply.response.status < 200 || reply.response.status == 204 || reply.response.status == 304;
    std::string bytes = HeadOf(reply, bodiless ? 0 : body.size(), !client_keeps_alive);
    if (!bodiless) bytes += body;
    return SendAll(fd, bytes) && client_keeps_alive;
  }

  void Serve(int fd) {
    std::string buffer;
    for (;;) {
      std::optional<HttpRequest> request = Read(fd, buffer);
      if (!request) break;
      {
        std::lock_guard lock(mutex);
        received.push_back(*request);
      }
      const auto connection = FindHeader(request->headers, "Connection");
      const bool keep_alive = !(connection && EqualsIgnoreCase(*connection, "close"));
      if (!Deliver(fd, handler(*request), keep_alive)) break;
    }
    std::lock_guard lock(mutex);
    for (auto& open : connections) {
      if (open == fd) open = -1;
    }
    ::close(fd);
  }

  Handler handler;
  int listener = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  mutable std::mutex mutex;
  std::vector<int> connections;  // open ones; -1 once closed
  std::vector<std::thread> threads;
  std::vector<HttpRequest> received;
};

FaultServer::FaultServer(Handler handler) : impl_(std::make_unique<Impl>(std::move(handler))) {
  impl_->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listener < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(impl_->listener, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(impl_->listener, 64) != 0 ||
      ::getsockname(impl_->listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string why = std::strerror(errno);
    ::close(impl_->listener);
    throw std::runtime_error("listen on 127.0.0.1: " + why);
  }
  impl_->port = ntohs(address.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->AcceptLoop(); });
}

FaultServer::~FaultServer() {
  impl_->stopping.store(true);
  ::shutdown(impl_->listener, SHUT_RDWR);  // wakes accept()
  impl_->acceptor.join();
  ::close(impl_->listener);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->connections) {
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // wakes recv(); the thread closes it
    }
    threads = std::move(impl_->threads);
  }
  for (std::thread& thread : threads) thread.join();
}

std::uint16_t FaultServer::port() const { return impl_->port; }

std::string FaultServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<HttpRequest> FaultServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

}  // namespace lro::test
