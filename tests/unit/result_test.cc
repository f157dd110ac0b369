// SPEC §5: where the result of a finished operation comes from.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lro/json.h"
#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

class ResultTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(ResultTest, Runs) { RunAndCheck(GetParam()); }

// Bytes of a zip-like export with a NUL and high bytes in it.
std::string Binary() {
  const char bytes[] = {'P', 'K', '\x03', '\x04', '\0', '\xff', '\xfe', '\0', 'e', 'n', 'd'};
  return std::string(bytes, sizeof bytes);
}

std::vector<Scenario> ResultRows() {
  const std::string svc = kSvc;
  const std::string jobs = svc + "/jobs";
  const std::string run = svc + "/actions/run";
  const std::string item = svc + "/items/1";
  const std::string op = svc + "/operations/op1";
  const std::string aao = svc + "/asyncops/a1";
  const std::string r1 = svc + "/results/r1";
  const std::string r2 = svc + "/results/r2";
  const std::string fab_op = std::string(kFabric) + "/v1/operations/op1";
  const std::string fab_items = std::string(kFabric) + "/v1/workspaces/ws1/items";
  const std::string monitor_body = R"({"id":"a1","status":"Succeeded","properties":{"x":1}})";
  return {
      // 1. resourceLocation
      {.name = "ResourceLocationIsFetched",
       .method = "POST",
       .url = jobs,
       .script = {Resp(202, {{"Operation-Location", op}}),
                  Json(200,
                       R"({"status":"Succeeded","resourceLocation":")" + svc + R"(/items/42"})"),
                  Json(200, R"({"id":"42"})")},
       .requests = {{"POST", jobs}, Get(op), Get(svc + "/items/42")},
       .expect = {.json = R"({"id":"42"})", .http_status = 200}},
      {.name = "ResourceLocationComesFirstForPut",
       .method = "PUT",
       .url = item,
       .script = {Resp(201, {{"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","resourceLocation":")" + svc +
                                R"(/items/1-final"})"),
                  Json(200, R"({"id":"1-final"})")},
       .requests = {{"PUT", item}, Get(op), Get(svc + "/items/1-final")},
       .expect = {.json = R"({"id":"1-final"})"}},
      // 2. Fabric result Location
      {.name = "FabricResultBytesKeptExact",
       .method = "POST",
       .url = fab_items + "/export",
       .script = {Resp(202, {{"Location", fab_op}, {"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})", {{"Location", fab_op + "/result"}}),
                  Resp(200, {{"Content-Type", "application/octet-stream"}}, Binary())},
       .requests = {{"POST", fab_items + "/export"}, Get(fab_op), Get(fab_op + "/result")},
       .expect = {.has_value = true,
                  .bytes = Binary(),
                  .content_type = "application/octet-stream",
                  .http_status = 200}},
      {.name = "FabricNoLocationMeansNoResult",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {{"Location", fab_op}, {"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})")},
       .requests = {{"POST", fab_items}, Get(fab_op)},
       .expect = {.has_value = false}},
      {.name = "ArmLocationResultBytesKeptExact",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Location", r1}}),
                  Resp(200, {{"Content-Type", "application/octet-stream"}}, Binary())},
       .requests = {{"POST", run}, Get(r1)},
       .expect = {.bytes = Binary(), .content_type = "application/octet-stream"}},
      // 3. result in the monitor
      {.name = "MonitorResultFieldNoExtraRequest",
       .method = "POST",
       .url = jobs,
       .script = {Resp(202, {{"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","result":{"summary":"ok","n":[1,2,3]}})")},
       .requests = {{"POST", jobs}, Get(op)},
       .expect = {.json = R"({"summary":"ok","n":[1,2,3]})"}},
      // 4. final-state-via, for POST
      {.name = "PostFinalStateViaLocation",
       .method = "POST",
       .url = jobs,
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":1})")},
       .options = {.final_state_via = FinalStateVia::kLocation},
       .requests = {{"POST", jobs}, Get(op), Get(r1)},
       .expect = {.json = R"({"r":1})"}},
      {.name = "PostFinalStateViaLocationUsesLatestLocation",
       .method = "POST",
       .url = jobs,
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", r1}}),
                  Json(200, R"({"status":"Running"})", {{"Location", r2}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":2})")},
       .options = {.final_state_via = FinalStateVia::kLocation},
       .requests = {{"POST", jobs}, Get(op), Get(op), Get(r2)},
       .expect = {.json = R"({"r":2})"}},
      {.name = "PostFinalStateViaOriginalUri",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"state":"ran"})")},
       .options = {.final_state_via = FinalStateVia::kOriginalUri},
       .requests = {{"POST", run}, Get(op), Get(run)},
       .expect = {.json = R"({"state":"ran"})"}},
      {.name = "PostFinalStateViaAzureAsyncOperation",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}, {"Location", r1}}),
                  Json(200, monitor_body)},
       .options = {.final_state_via = FinalStateVia::kAzureAsyncOperation},
       .requests = {{"POST", run}, Get(aao)},
       .expect = {.json = monitor_body}},
      {.name = "PostFinalStateViaOperationLocation",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded","id":"op1"})")},
       .options = {.final_state_via = FinalStateVia::kOperationLocation},
       .requests = {{"POST", run}, Get(op)},
       .expect = {.json = R"({"status":"Succeeded","id":"op1"})"}},
      {.name = "PostFinalStateViaOperationLocationResultField",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded","result":{"v":3}})")},
       .options = {.final_state_via = FinalStateVia::kOperationLocation},
       .requests = {{"POST", run}, Get(op)},
       .expect = {.json = R"({"v":3})"}},
      // PUT/PATCH keep the original URL whatever final-state-via says.
      {.name = "PutIgnoresFinalStateViaLocation",
       .method = "PUT",
       .url = item,
       .script = {Resp(201, {{"Azure-AsyncOperation", aao}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")},
       .options = {.final_state_via = FinalStateVia::kLocation},
       .requests = {{"PUT", item}, Get(aao), Get(item)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "PatchIgnoresFinalStateViaAzureAsyncOperation",
       .method = "PATCH",
       .url = item,
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1","p":2})")},
       .options = {.final_state_via = FinalStateVia::kAzureAsyncOperation},
       .requests = {{"PATCH", item}, Get(aao), Get(item)},
       .expect = {.json = R"({"id":"1","p":2})"}},
      // 5. defaults per method
      {.name = "DefaultPutGetsOriginalUrl",
       .method = "PUT",
       .url = item,
       .script = {Resp(201, {{"Operation-Location", op}}), Json(200, R"({"status":"Succeeded"})"),
                  Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", item}, Get(op), Get(item)},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "DefaultPatchGetsOriginalUrl",
       .method = "PATCH",
       .url = item,
       .script = {Resp(200, {{"Azure-AsyncOperation", aao}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1","v":2})")},
       .requests = {{"PATCH", item}, Get(aao), Get(item)},
       .expect = {.json = R"({"id":"1","v":2})"}},
      {.name = "DefaultPostGetsLatestLocation",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}, {"Location", r1}}),
                  Json(200, R"({"status":"InProgress"})", {{"Location", r2}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":2})")},
       .requests = {{"POST", run}, Get(aao), Get(aao), Get(r2)},
       .expect = {.json = R"({"r":2})"}},
      {.name = "DefaultPostWithoutLocationUsesMonitorBody",
       .method = "POST",
       .url = run,
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}}), Json(200, monitor_body)},
       .requests = {{"POST", run}, Get(aao)},
       .expect = {.json = monitor_body}},
      {.name = "DefaultDeleteNoFinalGet",
       .method = "DELETE",
       .url = item,
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}, {"Location", r1}}),
                  Json(200, R"({"status":"Succeeded"})")},
       .requests = {{"DELETE", item}, Get(aao)},
       .expect = {}},
      {.name = "DefaultDeleteResultFromMonitorResultField",
       .method = "DELETE",
       .url = item,
       .script = {Resp(202, {{"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","result":{"deleted":true}})")},
       .requests = {{"DELETE", item}, Get(op)},
       .expect = {.json = R"({"deleted":true})"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Spec5, ResultTest, ::testing::ValuesIn(ResultRows()), ScenarioName());

TEST(ResultBytesTest, OctetStreamIsNotJsonAndParseJsonRefuses) {
  const std::string fab_op = std::string(kFabric) + "/v1/operations/op1";
  Harness h({Resp(202, {{"Location", fab_op}, {"x-ms-operation-id", "op1"}}),
             Json(200, R"({"status":"Succeeded"})", {{"Location", fab_op + "/result"}}),
             Resp(200, {{"Content-Type", "application/octet-stream"}}, Binary())});
  Poller p = h.client.Start(Request::Post(std::string(kFabric) + "/v1/items/x/export"));
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->body.size(), 11U);
  EXPECT_EQ(outcome->body, Binary());
  EXPECT_FALSE(outcome->IsJson());
  EXPECT_EQ(ParseJson(*outcome).status().code(), StatusCode::kProtocolError);
}

TEST(ResultBytesTest, JsonResultParses) {
  Harness h({Json(200, R"({"id":"x","n":1})")});
  Poller p = h.client.Start(Request::Post(std::string(kSvc) + "/run"));
  auto outcome = p.Wait();
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->IsJson());
  auto v = ParseJson(*outcome);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->at("n").as_int64(), 1);
}

}  // namespace
}  // namespace lro::test
