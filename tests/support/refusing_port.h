// A port on 127.0.0.1 where every connection is refused, for as long as the object lives.
#pragma once

#include <cstdint>
#include <string>

namespace lro::test {

// Binds a socket to 127.0.0.1 on an ephemeral port and never listens on it: a connection to
// the port is refused (RST), and no other process can take the port meanwhile, as it could
// one a server has just given back.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  RefusingPort(RefusingPort&&) = delete;
  RefusingPort& operator=(RefusingPort&&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT"
  [[nodiscard]] std::string base_url() const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace lro::test
