// Lost answers (issue 10): lrod commits a POST and answers 202, but the answer never reaches the
// client (a proxy resets the connection once lrod's first bytes arrive). The client sends the
// POST again with the same repeatability headers; lrod replays its answer. Exactly one
// operation exists afterwards, and the client follows it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "lro/client.h"
#include "lro/curl_transport.h"
#include "lro/poller.h"
#include "lrod_process.h"
#include "tcp_proxy.h"
#include "test_util.h"

namespace lro::test {
namespace {

using server::test::LrodProcess;
using server::test::TempDir;

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
  TcpProxy proxy(/*drop_first_answer=*/true);
  proxy.set_upstream_port(PortOf(lrod.Url("")));

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
