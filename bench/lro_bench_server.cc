// lro_bench_server: a minimal, fast HTTP/1.1 keep-alive server that plays an LRO service for the
// client benchmarks (bench/run.sh). It must never be the bottleneck, so it is raw epoll with one
// event loop per thread (each thread owns a SO_REUSEPORT listener) and a hand-written request
// parser that only reads what the routes need.
//
//   PUT|POST|PATCH <any path>  -> 202, Operation-Location: http://HOST:PORT/ops/<n>, Retry-After: S
//   GET /ops/<n>               -> 200 {"status":"Running"} (Retry-After: S) the first K times,
//                                 then {"status":"Succeeded","result":{"ok":true}}
//   GET /plain                 -> the very bytes of a Running poll's answer, headers included:
//                                 the raw floor's request, so curl parses the same responses
//   GET /stats                 -> 200 {"requests":R,"operations":O}
//
// S is --retry-after (default 0). So one operation costs 1 + K + 1 requests. On SIGINT/SIGTERM it
// prints the same counters and its own CPU time as one JSON line on stdout, then exits.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::string_view kRunningBody = R"({"status":"Running"})";
constexpr std::string_view kSucceededBody = R"({"status":"Succeeded","result":{"ok":true}})";

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "lro_bench_server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "lro_bench_server: %s\nusage: lro_bench_server --listen HOST:PORT --running K "
               "[--retry-after S] "
               "[--threads T] [--port-file FILE] [--max-operations M]\n",
               message);
  std::exit(2);
}

template <typename Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsNoCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

void AppendNumber(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Poll counts of every operation, indexed by id. calloc'd so untouched pages cost nothing; one
// 32-bit counter per operation, shared by all threads through atomic_ref.
class OperationTable {
 public:
  OperationTable(std::size_t capacity, std::uint32_t running)
      : polls_(static_cast<std::uint32_t*>(std::calloc(capacity, sizeof(std::uint32_t)))),
        capacity_(capacity),
        running_(running) {
    if (polls_ == nullptr) Die("calloc");
  }

  // A new operation id, or nullopt when the table is full.
  std::optional<std::uint64_t> Create() {
    std::uint64_t id = next_.fetch_add(1, std::memory_order_relaxed);
    if (id >= capacity_) return std::nullopt;
    return id;
  }

  enum class PollResult { kUnknown, kRunning, kSucceeded };

  PollResult Poll(std::uint64_t id) {
    if (id >= std::min<std::uint64_t>(next_.load(std::memory_order_relaxed), capacity_)) {
      return PollResult::kUnknown;
    }
    std::atomic_ref<std::uint32_t> polls(polls_.get()[id]);
    if (polls.load(std::memory_order_relaxed) >= running_) return PollResult::kSucceeded;
    return polls.fetch_add(1, std::memory_order_relaxed) < running_ ? PollResult::kRunning
                                                                    : PollResult::kSucceeded;
  }

  std::uint64_t created() const {
    return std::min<std::uint64_t>(next_.load(std::memory_order_relaxed), capacity_);
  }

 private:
  struct Free {
    void operator()(std::uint32_t* p) const { std::free(p); }
  };
  std::unique_ptr<std::uint32_t, Free> polls_;
  std::size_t capacity_;
  std::uint32_t running_;
  std::atomic<std::uint64_t> next_{0};
};

struct Shared {
  OperationTable operations;
  std::string operation_location_prefix;           // "Operation-Location: http://HOST:PORT/ops/"
  std::string retry_after;                         // "Retry-After: S\r\n" (--retry-after)
  std::vector<std::atomic<std::uint64_t>> served;  // requests answered, one slot per thread

  std::uint64_t TotalServed() const {
    std::uint64_t total = 0;
    for (const auto& s : served) total += s.load(std::memory_order_relaxed);
    return total;
  }
};

struct Connection {
  int fd = -1;
  std::string in;  // bytes received and not yet consumed by a complete request
  std::string out;
  std::size_t out_sent = 0;
  bool writable_armed = false;  // EPOLLOUT registered because a send came up short
  bool continue_sent = false;   // "100 Continue" already sent for the request at the front
  bool close_after_write = false;
};

// Length of a complete chunked body at the start of `data`, 0 if incomplete, nullopt if malformed.
std::optional<std::size_t> ChunkedBodyLength(std::string_view data) {
  std::size_t pos = 0;
  for (;;) {
    std::size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return 0;
    std::string_view size_text = data.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));
    std::size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || size_text.empty() || end != size_text.data() + size_text.size()) {
      return std::nullopt;
    }
    pos = eol + 2;
    if (size == 0) {  // trailers, then an empty line
      std::size_t trailers_end = data.find("\r\n\r\n", pos - 2);
      if (trailers_end == std::string_view::npos) return 0;
      return trailers_end + 4;
    }
    if (data.size() < pos + size + 2) return 0;
    pos += size + 2;
  }
}

class Worker {
 public:
  Worker(Shared& shared, std::size_t index, int listen_fd)
      : shared_(shared), index_(index), listen_fd_(listen_fd), epoll_fd_(epoll_create1(0)) {
    if (epoll_fd_ < 0) Die("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // nullptr marks the listener
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) Die("epoll_ctl listener");
  }

  [[noreturn]] void Run() {
    std::vector<epoll_event> events(512);
    auto buffer = std::make_unique<char[]>(kReadChunk);
    for (;;) {
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        Die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        auto* conn = static_cast<Connection*>(events[i].data.ptr);
        if (conn == nullptr) {
          Accept();
          continue;
        }
        std::uint32_t what = events[i].events;
        if ((what & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0 &&
            !OnReadable(*conn, buffer.get())) {
          Close(conn);
          continue;
        }
        if ((what & EPOLLOUT) != 0 && conn->writable_armed && !Flush(*conn)) Close(conn);
      }
    }
  }

 private:
  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
        if (errno == EMFILE || errno == ENFILE) {
          // Level-triggered listener: back off instead of spinning until a descriptor frees up.
          std::fprintf(stderr, "lro_bench_server: accept: %s\n", std::strerror(errno));
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return;
        }
        Die("accept4");
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto* conn = new Connection;
      conn->fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = conn;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) Die("epoll_ctl add");
    }
  }

  static void Close(Connection* conn) {
    close(conn->fd);  // also removes it from the epoll set
    delete conn;
  }

  // Reads until the socket is drained, answers every complete request. False: close it.
  bool OnReadable(Connection& conn, char* buffer) {
    for (;;) {
      ssize_t got = recv(conn.fd, buffer, kReadChunk, 0);
      if (got == 0) return false;
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        return false;
      }
      auto size = static_cast<std::size_t>(got);
      if (conn.in.empty()) {  // the common case: parse straight from the read buffer
        std::size_t used = HandleRequests(conn, std::string_view(buffer, size));
        conn.in.append(buffer + used, size - used);
      } else {
        conn.in.append(buffer, size);
        conn.in.erase(0, HandleRequests(conn, conn.in));
      }
      if (conn.close_after_write) break;
      if (conn.in.size() > kMaxHeaderBytes + (1u << 20)) return false;
      // A short read drained the socket; edge-triggered epoll reports the next arrival.
      if (size < kReadChunk) break;
    }
    return Flush(conn);
  }

  // Answers the complete requests at the front of `data`; returns how many bytes they used.
  std::size_t HandleRequests(Connection& conn, std::string_view data) {
    std::size_t consumed = 0;
    while (!conn.close_after_write && consumed < data.size()) {
      std::string_view rest = data.substr(consumed);
      std::size_t head_end = rest.find("\r\n\r\n");
      if (head_end == std::string_view::npos) {
        if (rest.size() > kMaxHeaderBytes) Reject(conn, "431 Request Header Fields Too Large");
        break;
      }
      std::string_view head = rest.substr(0, head_end + 2);  // request line + headers, CRLF each

      std::size_t line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      std::size_t sp1 = line.find(' ');
      std::size_t sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1) {
        Reject(conn, "400 Bad Request");
        break;
      }
      std::string_view method = line.substr(0, sp1);
      std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      bool keep_alive = line.substr(sp2 + 1) != "HTTP/1.0";

      std::size_t content_length = 0;
      bool chunked = false;
      bool expect_continue = false;
      for (std::size_t pos = line_end + 2; pos < head.size();) {
        std::size_t eol = head.find("\r\n", pos);
        std::string_view header = head.substr(pos, eol - pos);
        pos = eol + 2;
        std::size_t colon = header.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = header.substr(0, colon);
        std::string_view value = header.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
          value.remove_prefix(1);
        }
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
          value.remove_suffix(1);
        }
        if (EqualsNoCase(name, "content-length")) {
          auto parsed = ParseInt<std::size_t>(value);
          if (!parsed) {
            Reject(conn, "400 Bad Request");
            return data.size();
          }
          content_length = *parsed;
        } else if (EqualsNoCase(name, "transfer-encoding")) {
          chunked = ContainsNoCase(value, "chunked");
        } else if (EqualsNoCase(name, "connection")) {
          if (ContainsNoCase(value, "close")) keep_alive = false;
          if (ContainsNoCase(value, "keep-alive")) keep_alive = true;
        } else if (EqualsNoCase(name, "expect")) {
          expect_continue = EqualsNoCase(value, "100-continue");
        }
      }

      std::size_t body_start = head_end + 4;
      std::size_t body_length = content_length;
      bool body_complete = rest.size() >= body_start + content_length;
      if (chunked) {
        auto length = ChunkedBodyLength(rest.substr(body_start));
        if (!length) {
          Reject(conn, "400 Bad Request");
          break;
        }
        body_length = *length;
        body_complete = body_length != 0;
      }
      if (!body_complete) {
        if (expect_continue && !conn.continue_sent) {
          conn.out.append("HTTP/1.1 100 Continue\r\n\r\n");
          conn.continue_sent = true;
        }
        break;
      }
      conn.continue_sent = false;
      conn.close_after_write = !keep_alive;
      Route(conn, method, target);
      consumed += body_start + body_length;
    }
    return consumed;
  }

  void Route(Connection& conn, std::string_view method, std::string_view target) {
    shared_.served[index_].fetch_add(1, std::memory_order_relaxed);
    std::string_view path = target.substr(0, target.find('?'));
    if (std::size_t scheme = path.find("://"); scheme != std::string_view::npos) {  // absolute-form
      std::size_t slash = path.find('/', scheme + 3);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }

    if (method == "POST" || method == "PUT" || method == "PATCH") {
      auto id = shared_.operations.Create();
      if (!id) {
        Respond(conn, "503 Service Unavailable", {}, {});
        return;
      }
      std::string& out = conn.out;
      out.append("HTTP/1.1 202 Accepted\r\n");
      out.append(shared_.operation_location_prefix);
      AppendNumber(out, *id);
      out.append("\r\n");
      out.append(shared_.retry_after);
      out.append("Content-Length: 0\r\n");
      if (conn.close_after_write) out.append("Connection: close\r\n");
      out.append("\r\n");
      return;
    }
    if (method != "GET") {
      Respond(conn, "405 Method Not Allowed", {}, {});
      return;
    }
    constexpr std::string_view kOps = "/ops/";
    if (path.starts_with(kOps)) {
      auto id = ParseInt<std::uint64_t>(path.substr(kOps.size()));
      switch (id ? shared_.operations.Poll(*id) : OperationTable::PollResult::kUnknown) {
        case OperationTable::PollResult::kRunning:
          Respond(conn, "200 OK", shared_.retry_after, kRunningBody);
          return;
        case OperationTable::PollResult::kSucceeded:
          Respond(conn, "200 OK", {}, kSucceededBody);
          return;
        case OperationTable::PollResult::kUnknown:
          break;
      }
    } else if (path == "/plain") {
      Respond(conn, "200 OK", shared_.retry_after, kRunningBody);
      return;
    } else if (path == "/stats") {
      std::string body = R"({"requests":)";
      AppendNumber(body, shared_.TotalServed());
      body.append(R"(,"operations":)");
      AppendNumber(body, shared_.operations.created());
      body.append("}");
      Respond(conn, "200 OK", {}, body);
      return;
    }
    Respond(conn, "404 Not Found", {}, {});
  }

  static void Respond(Connection& conn, std::string_view status, std::string_view headers,
                      std::string_view body) {
    std::string& out = conn.out;
    out.append("HTTP/1.1 ").append(status).append("\r\n").append(headers);
    if (!body.empty()) out.append("Content-Type: application/json\r\n");
    out.append("Content-Length: ");
    AppendNumber(out, body.size());
    out.append(conn.close_after_write ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
    out.append(body);
  }

  static void Reject(Connection& conn, std::string_view status) {
    conn.close_after_write = true;
    Respond(conn, status, {}, {});
  }

  // Sends what is pending. False: the connection is finished (error, or closed after the write).
  bool Flush(Connection& conn) {
    while (conn.out_sent < conn.out.size()) {
      ssize_t sent = send(conn.fd, conn.out.data() + conn.out_sent, conn.out.size() - conn.out_sent,
                          MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return false;
        if (!conn.writable_armed) SetWritableArmed(conn, true);
        return true;
      }
      conn.out_sent += static_cast<std::size_t>(sent);
    }
    conn.out.clear();
    conn.out_sent = 0;
    if (conn.writable_armed) SetWritableArmed(conn, false);
    return !conn.close_after_write;
  }

  void SetWritableArmed(Connection& conn, bool armed) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (armed ? EPOLLOUT : 0u);
    ev.data.ptr = &conn;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev) != 0) Die("epoll_ctl mod");
    conn.writable_armed = armed;
  }

  Shared& shared_;
  std::size_t index_;
  int listen_fd_;
  int epoll_fd_;
};

int Listen(const sockaddr_in& address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) Die("bind");
  if (listen(fd, SOMAXCONN) != 0) Die("listen");
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen_arg;
  std::optional<std::uint32_t> running;
  std::size_t threads = 1;
  std::size_t max_operations = std::size_t{1} << 24;
  std::string port_file;
  std::uint32_t retry_after = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) Usage("missing value");
    std::string_view value = argv[++i];
    if (arg == "--listen") {
      listen_arg = value;
    } else if (arg == "--running") {
      running = ParseInt<std::uint32_t>(value);
      if (!running) Usage("bad --running");
    } else if (arg == "--threads") {
      auto parsed = ParseInt<std::size_t>(value);
      if (!parsed || *parsed == 0 || *parsed > 256) Usage("bad --threads");
      threads = *parsed;
    } else if (arg == "--max-operations") {
      auto parsed = ParseInt<std::size_t>(value);
      if (!parsed || *parsed == 0) Usage("bad --max-operations");
      max_operations = *parsed;
    } else if (arg == "--retry-after") {
      auto parsed = ParseInt<std::uint32_t>(value);
      if (!parsed || *parsed > 3600) Usage("bad --retry-after");
      retry_after = *parsed;
    } else if (arg == "--port-file") {
      port_file = value;
    } else {
      Usage("unknown flag");
    }
  }
  std::size_t colon = listen_arg.rfind(':');
  if (listen_arg.empty() || colon == std::string::npos || !running) {
    Usage("--listen and --running are required");
  }
  std::string host = listen_arg.substr(0, colon);
  auto port = ParseInt<std::uint16_t>(std::string_view(listen_arg).substr(colon + 1));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (!port || inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) Usage("bad --listen");
  address.sin_port = htons(*port);

  // Every thread gets its own listener on the same port; the kernel spreads connections.
  std::vector<int> listeners{Listen(address)};
  sockaddr_in bound{};
  socklen_t bound_size = sizeof bound;
  if (getsockname(listeners[0], reinterpret_cast<sockaddr*>(&bound), &bound_size) != 0) {
    Die("getsockname");
  }
  address.sin_port = bound.sin_port;
  while (listeners.size() < threads) listeners.push_back(Listen(address));
  unsigned actual_port = ntohs(bound.sin_port);

  Shared shared{OperationTable(max_operations, *running),
                {},
                "Retry-After: " + std::to_string(retry_after) + "\r\n",
                std::vector<std::atomic<std::uint64_t>>(threads)};
  std::string public_host = host == "0.0.0.0" ? "127.0.0.1" : host;
  shared.operation_location_prefix =
      "Operation-Location: http://" + public_host + ":" + std::to_string(actual_port) + "/ops/";

  // Workers inherit a mask with the stop signals blocked; only this thread waits for them.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, i, listeners[i]));
    std::thread([worker = workers.back().get()] { worker->Run(); }).detach();
  }

  if (!port_file.empty()) {  // written whole, then renamed, so a reader never sees half of it
    std::string temp = port_file + ".tmp";
    std::ofstream(temp) << actual_port << "\n";
    if (std::rename(temp.c_str(), port_file.c_str()) != 0) Die("rename port file");
  }
  std::printf("listening on %u\n", actual_port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
  };
  std::printf("{\"requests\":%llu,\"operations\":%llu,\"cpu_user_ms\":%.1f,\"cpu_sys_ms\":%.1f}\n",
              static_cast<unsigned long long>(shared.TotalServed()),
              static_cast<unsigned long long>(shared.operations.created()), ms(usage.ru_utime),
              ms(usage.ru_stime));
  std::fflush(stdout);
  std::_Exit(0);
}
