// Lost answers (issue 10): lrod commits a POST and answers 202, but the answer never reaches the
// client (a proxy resets the connection once lrod's first bytes arrive). The client sends the
// POST again with the same repeatability headers; lrod replays its answer. Exactly one
// operation exists afterwards, and the client follows it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lro/client.h"
#include "lro/curl_transport.h"
#include "lro/poller.h"
#include "lrod_process.h"
#include "test_util.h"

namespace lro::test {
namespace {

using server::test::LrodProcess;
using server::test::TempDir;

// A TCP proxy on 127.0.0.1 in front of `upstream_port`. On the first connection it forwards
// the request, waits for the first bytes of the answer (so the server has committed and
// answered) and then resets the client's connection instead of passing them on. Every later
// connection is passed through both ways.
class AnswerDroppingProxy {
 public:
  explicit AnswerDroppingProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
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
  ~AnswerDroppingProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    for (std::thread& thread : threads_) thread.join();
  }
  AnswerDroppingProxy(const AnswerDroppingProxy&) = delete;
  AnswerDroppingProxy& operator=(const AnswerDroppingProxy&) = delete;

  [[nodiscard]] std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int answers_dropped() const { return dropped_.load(); }

 private:
  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
  }

  void Accept() {
    bool first = true;
    while (!stopping_) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      threads_.emplace_back([this, client, drop = first] { Relay(client, drop); });
      first = false;
    }
  }

  // Copies bytes both ways until either side closes; with `drop_answer`, resets the client at
  // the answer's first bytes instead.
  void Relay(int client, bool drop_answer) {
    const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = Loopback(upstream_port_);
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
        if (got <= 0 ||
            ::send(upstream, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL) < got) {
          break;
        }
      }
      if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t got = ::recv(upstream, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        if (drop_answer) {
          const linger abort_on_close{1, 0};
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

  std::uint16_t upstream_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> dropped_{0};
  std::thread acceptor_;
  std::vector<std::thread> threads_;  // the acceptor's only
};

std::uint16_t PortOf(const std::string& base_url) {
  return static_cast<std::uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
}

// The ids of the operations lrod lists for the (anonymous) caller.
std::vector<std::string> ListedOperations(const LrodProcess& lrod) {
  auto transport = MakeCurlTransport();
  auto response = transport->Send({"GET", lrod.Url("/v1/operations?top=1000"), {}, {}}, {});
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  std::vector<std::string> ids;
  if (!response.ok()) return ids;
  EXPECT_EQ(response->status, 200) << response->body;
  const boost::json::value list = boost::json::parse(response->body);
  for (const auto& entry : list.at("value").as_array()) {
    ids.emplace_back(entry.at("id").as_string());
  }
  return ids;
}

enum class Face { kBlocking, kEngine };

class LostAnswer : public ::testing::TestWithParam<Face> {};

TEST_P(LostAnswer, ThePostIsRetriedWithItsKeyAndRunsOnce) {
  TempDir dir;
  LrodProcess lrod(dir, "lrod", "sqlite:" + dir.File("lrod.db"));
  ASSERT_TRUE(lrod.WaitListening()) << lrod.Log();
  AnswerDroppingProxy proxy(PortOf(lrod.Url("")));

  Client client(FastClientOptions());
  // Through the proxy: the POST (whose 202 is lost) and its retry. The polls follow lrod's
  // Location, which names lrod itself.
  const Request create =
      Request::Post(proxy.base_url() + "/v1/workspaces/ws1/items")
          .Json(R"({"displayName":"lost-answer","type":"Notebook","demo":{"durationMs":50}})");
  StatusOr<Result> result = Status(StatusCode::kInternal, "not run");
  std::string id;
  if (GetParam() == Face::kBlocking) {
    Poller poller = client.Start(create);
    WaitOptions guard;
    guard.timeout = std::chrono::seconds(30);
    result = poller.Wait(guard);
    id = poller.OperationId();
  } else {
    AsyncOperation operation = client.StartAsync(create);
    result = Await(operation.Future());
    id = operation.OperationId();
  }
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_NE(result->body.find("lost-answer"), std::string::npos) << result->body;
  EXPECT_EQ(proxy.answers_dropped(), 1);

  const std::vector<std::string> listed = ListedOperations(lrod);
  ASSERT_EQ(listed.size(), 1U) << "the retried POST made a second operation";
  EXPECT_EQ(listed.front(), id) << "the client follows the operation lrod made";
}

INSTANTIATE_TEST_SUITE_P(Faces, LostAnswer, ::testing::Values(Face::kBlocking, Face::kEngine),
                         [](const ::testing::TestParamInfo<Face>& param) -> std::string {
                           return param.param == Face::kBlocking ? "Blocking" : "Engine";
                         });

}  // namespace
}  // namespace lro::test
