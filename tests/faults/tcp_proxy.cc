#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace lro::test {
namespace {

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

}  // namespace

TcpProxy::TcpProxy(bool drop_first_answer) : drop_first_answer_(drop_first_answer) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("proxy listen: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  ::close(listener_);
  for (std::thread& relay : relays_) relay.join();  // each notices stopping_ within 50 ms
}

void TcpProxy::set_upstream_port(std::uint16_t port) { upstream_port_ = port; }

std::string TcpProxy::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int TcpProxy::Occurrences(std::string_view text) const {
  int count = 0;
  for (auto at = forwarded_.find(text); at != std::string::npos;
       at = forwarded_.find(text, at + text.size())) {
    ++count;
  }
  return count;
}

bool TcpProxy::AwaitForwarded(std::string_view text, int count) {
  std::unique_lock lock(mutex_);
  return forwarded_changed_.wait_for(lock, std::chrono::seconds(30),
                                     [&] { return Occurrences(text) >= count; });
}

void TcpProxy::Accept() {
  bool first = true;
  while (!stopping_) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const bool drop = first && drop_first_answer_;
    relays_.emplace_back([this, client, drop] { Relay(client, drop); });
    first = false;
  }
}

void TcpProxy::Relay(int client, bool drop_answer) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = Loopback(upstream_port_.load());
  if (::connect(upstream, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(upstream);
    ::close(client);
    return;
  }
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  char buffer[16384];
  while (!stopping_) {
    if (::poll(fds, 2, 50) < 0 && errno != EINTR) break;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      {
        std::lock_guard lock(mutex_);
        forwarded_.append(buffer, static_cast<std::size_t>(got));
      }
      forwarded_changed_.notify_all();
      if (::send(upstream, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL) < got) break;
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = ::recv(upstream, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      if (drop_answer) {
        const linger abort_on_close{1, 0};  // the close sends RST: the answer is lost
        ::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        dropped_.fetch_add(1);
        break;
      }
      if (::send(client, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL) < got) break;
    }
  }
  ::close(upstream);
  ::close(client);
}

}  // namespace lro::test
