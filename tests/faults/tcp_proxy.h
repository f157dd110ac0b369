// A TCP proxy on 127.0.0.1 for fault tests: passes bytes both ways, records what it forwarded to
// the server, and can lose the server's first answer (reset the client's connection as soon as
// the answer's first bytes arrive, after the server has committed to it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lro::test {

class TcpProxy {
 public:
  // Listens at once; connections wait for set_upstream_port (so that a server may be told the
  // proxy's URL, e.g. lrod's --public-url, before it starts).
  explicit TcpProxy(bool drop_first_answer = false);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  TcpProxy(TcpProxy&&) = delete;
  TcpProxy& operator=(TcpProxy&&) = delete;

  void set_upstream_port(std::uint16_t port);
  // "http://127.0.0.1:PORT"
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] int answers_dropped() const { return dropped_.load(); }
  // Blocks until `text` occurs `count` times in what was forwarded to the server (requests are
  // sent whole, so a header line is never split across the count); false after 30 s.
  bool AwaitForwarded(std::string_view text, int count);

 private:
  void Accept();
  void Relay(int client, bool drop_answer);
  [[nodiscard]] int Occurrences(std::string_view text) const;  // REQUIRES: mutex_ held

  const bool drop_first_answer_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> upstream_port_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> dropped_{0};
  mutable std::mutex mutex_;
  std::condition_variable forwarded_changed_;
  std::string forwarded_;  // every byte sent to the server, all connections in arrival order
  std::thread acceptor_;
  std::vector<std::thread> relays_;  // touched by the acceptor thread, then the destructor
};

}  // namespace lro::test
