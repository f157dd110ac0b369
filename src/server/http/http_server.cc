#include "http/http_server.h"

#include <pthread.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/api.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

// "Date: …\r\n", formatted at most once per second per thread.
std::string_view DateHeader() {
  thread_local std::time_t cached_second = 0;
  thread_local char line[64] = {};
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    std::tm utc{};
    gmtime_r(&now, &utc);
    length = std::strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
  }
  return {line, length};
}

void Serialize(const ApiResponse& response, bool keep_alive, unsigned version, std::string& out) {
  out.clear();
  const std::string_view body = response.Body();
  out.reserve(256 + response.headers.size() + response.extra_headers.size() + body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  const auto reason =
      http::obsolete_reason(http::int_to_status(static_cast<unsigned>(response.status)));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  out += DateHeader();
  if (!response.content_type.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  // An event stream has no length: its body ends when the connection closes.
  const bool has_body = response.status != 204 && response.status != 304 && !response.stream;
  if (has_body) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += response.headers;
  out += response.extra_headers;
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (has_body) out += body;
}

struct Session {
  explicit Session(tcp::socket socket)
      : stream(std::move(socket)), read_deadline(stream.get_executor()) {}
  beast::tcp_stream stream;
  // Bounds the reading of one request (the stream's own timeout would close the socket, and
  // a slow request is answered 408 first). Only touched on the session's io thread, as are
  // the fields below.
  asio::steady_timer read_deadline;
  std::uint64_t reads = 0;  // numbers the reads, so that a late deadline is told apart
  bool read_timed_out = false;
  bool busy = false;
};

// The most a read asks of the socket at once (Beast's own choice).
constexpr std::size_t kReadSize = std::size_t{64} * 1024;

// Arms the deadline of the read that follows: when it passes first, the read is cancelled
// and marked timed out.
void StartReadDeadline(const std::shared_ptr<Session>& session, std::chrono::milliseconds limit) {
  session->read_timed_out = false;
  session->read_deadline.expires_after(limit);
  session->read_deadline.async_wait([session, read = session->reads](const beast::error_code& ec) {
    if (ec || session->reads != read) return;  // cancelled, or the read ended first
    session->read_timed_out = true;
    session->stream.cancel();
  });
}

// A coroutine waiting for an answer computed on another thread. Holds the io_context's work
// count up, so that its thread keeps running until the answer has been delivered.
class Completion {
 public:
  explicit Completion(asio::io_context& ioc) : work_(ioc.get_executor()) {}
  virtual ~Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  Completion(Completion&&) = delete;
  Completion& operator=(Completion&&) = delete;
  // Resumes the coroutine. REQUIRES: called on the io_context's thread.
  virtual void Complete(ApiResponse response) = 0;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> work_;
};

template <class Handler>
class HandlerCompletion final : public Completion {
 public:
  HandlerCompletion(asio::io_context& ioc, Handler handler)
      : Completion(ioc), handler_(std::move(handler)) {}
  void Complete(ApiResponse response) override { std::move(handler_)(std::move(response)); }

 private:
  Handler handler_;
};

// One HTTP thread: its own io_context (no strands: every connection it owns runs on it) and
// the answers other threads have completed for its connections. Answers arrive in bursts (a
// group commit completes every create it holds at once), so they are queued here and
// delivered by one handler per burst: one wake-up of the thread per commit rather than one
// per answer.
struct IoThread {
  asio::io_context ioc{1};
  std::thread thread;
  // Keeps run() from returning while the thread has no connection; reset by Stop.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;

  Mutex inbox_mutex;
  std::vector<std::pair<std::shared_ptr<Completion>, ApiResponse>> inbox
      LRO_GUARDED_BY(inbox_mutex);
  std::vector<std::pair<std::shared_ptr<Completion>, ApiResponse>> draining;  // the thread's own

  // From any thread.
  void Deliver(std::shared_ptr<Completion> completion, ApiResponse response) {
    bool first = false;
    {
      MutexLock lock(inbox_mutex);
      inbox.emplace_back(std::move(completion), std::move(response));
      first = inbox.size() == 1;
    }
    if (first) asio::post(ioc, [this] { Drain(); });
  }

  // On the thread: resumes every coroutine whose answer has arrived.
  void Drain() {
    {
      MutexLock lock(inbox_mutex);
      draining.swap(inbox);
    }
    for (auto& [completion, response] : draining) completion->Complete(std::move(response));
    draining.clear();
  }
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, Metrics& m, Logger& l)
      : options(std::move(o)),
        metrics(m),
        logger(l),
        io_threads(MakeIoThreads(options.io_threads)),
        acceptor(io_threads.front()->ioc) {}

  static std::vector<std::unique_ptr<IoThread>> MakeIoThreads(int count) {
    const auto n = static_cast<std::size_t>(std::max(1, count));
    std::vector<std::unique_ptr<IoThread>> threads;
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i) threads.push_back(std::make_unique<IoThread>());
    return threads;
  }

  asio::awaitable<void> Accept();
  // A connection beyond max_connections: answered 503 and closed.
  asio::awaitable<void> Reject(tcp::socket socket);
  asio::awaitable<void> Serve(std::shared_ptr<Session> session, IoThread& io);
  auto WaitFor(std::shared_ptr<PendingReply> pending, IoThread& io);

  HttpServerOptions options;
  Api* api = nullptr;
  Metrics& metrics;
  Logger& logger;
  // Connections are spread over the threads round-robin; the acceptor lives on the first.
  std::vector<std::unique_ptr<IoThread>> io_threads;
  std::size_t next_thread = 0;  // only touched by Accept
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  // Connections being answered 503 (each for a second at most), and the most at once.
  std::atomic<std::size_t> rejecting{0};
  static constexpr std::size_t kMaxRejecting = 256;
  bool started = false;
  std::uint16_t bound_port = 0;

  Mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions LRO_GUARDED_BY(sessions_mutex);
};

asio::awaitable<void> HttpServer::Impl::Accept() {
  for (;;) {
    IoThread& io = *io_threads[next_thread];
    next_thread = (next_thread + 1) % io_threads.size();
    auto [ec, socket] = co_await acceptor.async_accept(io.ioc, kTuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      logger.Log(LogLevel::kWarning, "accept failed", {{"error", ec.message()}});
      // Out of file descriptors and the like: breathe instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    if (static_cast<std::size_t>(metrics.connections_open.load()) >= options.max_connections) {
      metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      if (rejecting.fetch_add(1, std::memory_order_relaxed) < kMaxRejecting) {
        auto executor = socket.get_executor();
        asio::co_spawn(executor, Reject(std::move(socket)), asio::detached);
      } else {  // a flood: no answer, no cost
        rejecting.fetch_sub(1, std::memory_order_relaxed);
        beast::error_code ignored;
        socket.close(ignored);
      }
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(tcp::socket(std::move(socket)));
    {
      MutexLock lock(sessions_mutex);
      sessions.emplace(session.get(), session);
    }
    metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    auto executor = session->stream.get_executor();
    asio::co_spawn(executor, Serve(std::move(session), io), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Impl::Reject(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  ApiResponse response =
      api->TransportError(503, {"ServiceUnavailable",
                                "Too many open connections (more than " +
                                    std::to_string(options.max_connections) + "); retry later.",
                                {},
                                true});
  response.headers += "Retry-After: 1\r\n";
  std::string out;
  Serialize(response, false, 11, out);
  metrics.CountResponse(503);
  // A second for all of it: the answer, then what the client sent until it closes (closing
  // with its request unread would reset the connection before the client read the answer).
  stream.expires_after(std::chrono::seconds(1));
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(out), kTuple);
  (void)written;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  char sink[4096];
  for (bool open = !write_ec; open;) {
    auto [read_ec, read] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    (void)read;
    open = !read_ec;
  }
  stream.close();
  rejecting.fetch_sub(1, std::memory_order_relaxed);
}

// Not a coroutine (GCC 12 double-destroys the parameters of a `co_return co_await` coroutine):
// returns the awaitable of an answer completed by PendingReply on any thread, delivered to
// the coroutine on `io`'s thread.
auto HttpServer::Impl::WaitFor(std::shared_ptr<PendingReply> pending, IoThread& io) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(ApiResponse)>(
      [](auto handler, const std::shared_ptr<PendingReply>& reply, IoThread* thread) {
        using Handler = decltype(handler);
        std::shared_ptr<Completion> completion =
            std::make_shared<HandlerCompletion<Handler>>(thread->ioc, std::move(handler));
        reply->OnReady([thread, completion = std::move(completion)](ApiResponse response) {
          thread->Deliver(completion, std::move(response));
        });
      },
      asio::use_awaitable, std::move(pending), &io);
}

asio::awaitable<void> HttpServer::Impl::Serve(std::shared_ptr<Session> session, IoThread& io) {
  // Bounded: a request's head must fit (header limit), body bytes pass through it a read at a
  // time, and a line the parser cannot cut short (a chunk header) ends at the bound.
  beast::flat_buffer buffer(options.max_header_bytes + kReadSize);
  std::string out;
  try {
    for (;;) {
      session->busy = false;
      if (stopping) break;
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      session->stream.expires_never();
      StartReadDeadline(session, options.idle_timeout);
      auto [ec, bytes] = co_await http::async_read(session->stream, buffer, parser, kTuple);
      (void)bytes;
      ++session->reads;
      session->read_deadline.cancel();
      if (ec) {
        int status = 0;
        ErrorInfo error;
        if (session->read_timed_out) {
          // An idle keep-alive connection is closed quietly; a request begun and not
          // finished in time is answered.
          if (buffer.size() > 0 || parser.got_some()) {
            status = 408;
            error = {"RequestTimeout",
                     "The request was not received within " +
                         std::to_string(options.idle_timeout.count()) + " ms.",
                     {},
                     true};
          }
        } else if (ec == http::error::body_limit ||
                   (ec == http::error::buffer_overflow && parser.is_header_done())) {
          status = 413;
          error = {"RequestBodyTooLarge",
                   "The request body exceeds " + std::to_string(options.max_body_bytes) + " bytes.",
                   {},
                   false};
        } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
          status = 431;
          error = {
              "RequestHeadersTooLarge", "The request line and headers are too large.", {}, false};
        } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message) {
          status = 400;
          error = {"BadRequest", "Malformed HTTP request: " + ec.message(), {}, false};
        }
        if (status != 0) {
          session->busy = true;
          ApiResponse response = api->TransportError(status, error);
          Serialize(response, false, 11, out);
          metrics.CountResponse(status);
          session->stream.expires_after(std::chrono::seconds(5));
          co_await asio::async_write(session->stream, asio::buffer(out), kTuple);
        }
        break;
      }
      session->busy = true;
      const auto request_started = std::chrono::steady_clock::now();
      auto& message = parser.get();
      const unsigned version = message.version();
      bool keep_alive = message.keep_alive();
      ApiRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      request.headers.reserve(8);
      for (const auto& field : message) {
        request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      }
      request.body = std::move(message.body());
      Api::Result result = api->Handle(request);
      // Not a conditional expression: GCC 12 mis-destroys temporaries of a co_await inside ?:.
      ApiResponse response;
      if (result.now) {
        response = std::move(*result.now);
      } else {
        response = co_await WaitFor(std::move(result.later), io);
      }
      if (response.stream) {
        // Server-Sent Events: the headers, then each batch of events as it comes, until the
        // stream closes or a write fails (the client went away); then the connection closes.
        std::shared_ptr<EventStream> events = response.stream;
        Serialize(response, false, version, out);
        metrics.CountResponse(response.status);
        session->stream.expires_after(options.idle_timeout);
        auto [head_ec, head_written] =
            co_await asio::async_write(session->stream, asio::buffer(out), kTuple);
        (void)head_written;
        bool open = !head_ec;
        while (open) {
          ApiResponse batch = co_await WaitFor(events->Next(), io);
          if (batch.body.empty()) break;
          session->stream.expires_after(options.idle_timeout);
          auto [write_ec, written] =
              co_await asio::async_write(session->stream, asio::buffer(batch.body), kTuple);
          (void)written;
          open = !write_ec;
        }
        events->Finish();
        break;
      }
      keep_alive = keep_alive && !stopping;
      Serialize(response, keep_alive, version, out);
      session->stream.expires_after(options.idle_timeout);
      auto [write_ec, written] =
          co_await asio::async_write(session->stream, asio::buffer(out), kTuple);
      (void)written;
      metrics.CountResponse(response.status);
      metrics.latency[static_cast<std::size_t>(response.endpoint)].Observe(
          std::chrono::steady_clock::now() - request_started);
      if (logger.Enabled(LogLevel::kDebug)) {
        logger.Log(LogLevel::kDebug, "request",
                   {{"requestId", response.request_id},
                    {"method", request.method},
                    {"target", request.target},
                    {"status", std::to_string(response.status)}});
      }
      if (write_ec || !keep_alive) break;
      // Keep a big body's buffer from pinning memory on an idle connection.
      if (out.capacity() > std::size_t{64} * 1024) std::string().swap(out);
    }
  } catch (const std::exception& e) {
    logger.Log(LogLevel::kError, "connection failed", {{"error", e.what()}});
  }
  session->read_deadline.cancel();
  beast::error_code ignored;
  session->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  session->stream.close();
  {
    MutexLock lock(sessions_mutex);
    sessions.erase(session.get());
  }
  metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

HttpServer::HttpServer(HttpServerOptions options, Metrics& metrics, Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), metrics, logger)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Bind() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument, "bad listen address " + impl_->options.host);
  }
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable, "cannot listen on " + impl_->options.host + ":" +
                                                std::to_string(impl_->options.port) + ": " +
                                                ec.message());
  }
  impl_->bound_port = acceptor.local_endpoint().port();
  return Status();
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::Start(Api& api) {
  impl_->api = &api;
  impl_->started = true;
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->Accept(), asio::detached);
  for (auto& io : impl_->io_threads) {
    io->keep_running.emplace(io->ioc.get_executor());
    io->thread = std::thread([thread = io.get()] {
      pthread_setname_np(pthread_self(), "lrod-http");
      thread->ioc.run();
    });
  }
}

void HttpServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  if (!impl_->started) return;
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    MutexLock lock(impl_->sessions_mutex);
    for (auto& [raw, weak] : impl_->sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  // Idle connections are closed now; busy ones after their response (see Serve).
  for (auto& session : open) {
    asio::post(session->stream.get_executor(), [session] {
      if (!session->busy) session->stream.cancel();
    });
  }
  open.clear();
  for (auto& io : impl_->io_threads) io->keep_running.reset();
  for (auto& io : impl_->io_threads) {
    if (io->thread.joinable()) io->thread.join();
  }
}

}  // namespace lro::server::internal
