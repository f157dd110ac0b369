// A raw connection reading GET /v1/operations/events (Server-Sent Events) as a browser would,
// for the tests of the event stream and of isolation between callers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lro::server::test {

class StreamReader {
 public:
  // Connects to 127.0.0.1:`port` and asks for the stream, with `token` as a bearer token
  // unless empty.
  StreamReader(std::uint16_t port, const std::string& token);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  StreamReader(StreamReader&&) = delete;
  StreamReader& operator=(StreamReader&&) = delete;

  // Reads until `text` has arrived (true), the server closed, or 30 s passed.
  bool ReadUntil(const std::string& text);
  // Reads until the server closes (true) or 30 s passed.
  bool ReadUntilClosed();
  [[nodiscard]] const std::string& received() const { return received_; }

 private:
  void Read(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

}  // namespace lro::server::test
