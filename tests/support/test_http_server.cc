// TestHttpServer on Boost.Beast: one C++20 coroutine per connection on a small pool of
// io_context threads. The only translation unit of the project that includes Beast.
#include "test_http_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

namespace lro::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Handlers may block (tests hold an answer back), so more threads than cores.
constexpr int kThreads = 4;
constexpr std::uint64_t kMaxRequestBody = std::uint64_t{256} * 1024 * 1024;

bool IsHeader(std::string_view name, std::string_view wanted) {
  if (name.size() != wanted.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(name[i]) != lower(wanted[i])) return false;
  }
  return true;
}

// The handler's answer as a Beast message. Content-Length is computed here (any the handler
// set is replaced); a HEAD answer announces the body's length without sending it.
template <class Body>
void FillResponse(http::response<Body>& out, const HttpResponse& answer, bool keep_alive) {
  out.result(static_cast<unsigned>(answer.status));
  out.version(11);
  for (const Header& header : answer.headers) {
    if (IsHeader(header.name, "Content-Length") || IsHeader(header.name, "Transfer-Encoding")) {
      continue;
    }
    out.insert(header.name, header.value);
  }
  const bool handler_closes = [&] {
    for (const Header& header : answer.headers) {
      if (IsHeader(header.name, "Connection") && IsHeader(header.value, "close")) return true;
    }
    return false;
  }();
  out.keep_alive(keep_alive && !handler_closes);
}

}  // namespace

struct TestHttpServer::Impl {
  explicit Impl(Handler h) : handler(std::move(h)) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [error, socket] = co_await acceptor.async_accept(kNoThrow);
      if (error) {
        if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the connections we have
      }
      connections.fetch_add(1);
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }

  // One connection: read a whole request, answer it, repeat while keep-alive holds.
  asio::awaitable<void> Serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxRequestBody);
      auto [read_error, read_bytes] = co_await http::async_read(socket, buffer, parser, kNoThrow);
      static_cast<void>(read_bytes);
      if (read_error) co_return;  // closed by the client, or garbage: drop the connection
      http::request<http::string_body> request = parser.release();

      HttpRequest seen;
      seen.method = std::string(request.method_string());
      seen.url = std::string(request.target());
      for (const auto& field : request) {
        seen.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      }
      seen.body = std::move(request.body());
      {
        std::lock_guard lock(mutex);
        received.push_back(seen);
      }
      HttpResponse answer;
      try {
        answer = handler(seen);
      } catch (const std::exception& e) {
        answer = HttpResponse{500, {{"Content-Type", "text/plain"}}, e.what()};
      }

      bool keep_alive = false;
      boost::system::error_code write_error;
      if (request.method() == http::verb::head) {
        http::response<http::empty_body> response;
        FillResponse(response, answer, request.keep_alive());
        response.content_length(answer.body.size());
        keep_alive = response.keep_alive();
        http::response_serializer<http::empty_body> serializer(response);
        serializer.split(false);
        std::tie(write_error, std::ignore) =
            co_await http::async_write(socket, serializer, kNoThrow);
      } else {
        http::response<http::string_body> response;
        FillResponse(response, answer, request.keep_alive());
        // These statuses have no body on the wire (Beast refuses to frame one).
        const bool bodiless = answer.status < 200 || answer.status == 204 || answer.status == 304;
        if (!bodiless) response.body() = std::move(answer.body);
        response.prepare_payload();
        keep_alive = response.keep_alive();
        std::tie(write_error, std::ignore) = co_await http::async_write(socket, response, kNoThrow);
      }
      if (write_error || !keep_alive) {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  Handler handler;
  // Declared before everything that does I/O through it, so it is destroyed last: its
  // destructor frees the coroutine frames of open connections, closing their sockets.
  asio::io_context io{kThreads};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::atomic<int> connections{0};
  mutable std::mutex mutex;
  std::vector<HttpRequest> received;
  std::vector<std::thread> threads;
};

TestHttpServer::TestHttpServer(Handler handler)
    : impl_(std::make_unique<Impl>(std::move(handler))) {
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->io.run(); });
  }
}

TestHttpServer::~TestHttpServer() {
  // stop() ends run() on every thread as soon as the handler it is in (if any) returns;
  // suspended connections, idle keep-alive ones included, are closed when the io_context
  // destroys their coroutines.
  impl_->io.stop();
  for (std::thread& thread : impl_->threads) thread.join();
}

std::uint16_t TestHttpServer::port() const { return impl_->port; }

std::string TestHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<HttpRequest> TestHttpServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

int TestHttpServer::connections_accepted() const { return impl_->connections.load(); }

}  // namespace lro::test
