// SPEC §1 and §3: how an operation starts, and how the client chooses how to poll it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

class DetectionTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(DetectionTest, Runs) { RunAndCheck(GetParam()); }

std::vector<Scenario> DetectionRows() {
  const std::string svc = kSvc;
  const std::string fab = kFabric;
  const std::string op = svc + "/operations/op1";
  const std::string aao = svc + "/asyncops/a1";
  const std::string loc = svc + "/locs/l1";
  const std::string item = svc + "/items/1";
  const std::string fab_items = fab + "/v1/workspaces/ws1/items";
  const std::string fab_op = fab + "/v1/operations/op1";
  const std::string redirect = "https://wabi-west-europe-redirect.analysis.windows.net";
  return {
      // --- 1. Operation-Location ------------------------------------------------------
      {.name = "OperationLocationPost202",
       .method = "POST",
       .url = svc + "/jobs",
       .body = R"({"input":1})",
       .script = {Resp(202, {{"Operation-Location", op}}),
                  Json(200, R"({"id":"op1","status":"Running"})"),
                  Json(200, R"({"id":"op1","status":"Succeeded","result":{"answer":42}})")},
       .requests = {{"POST", svc + "/jobs"}, Get(op), Get(op)},
       .expect = {.json = R"({"answer":42})"}},
      {.name = "OperationLocationOn200MeansStarted",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Json(200, "{}", {{"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","result":{"v":1}})")},
       .requests = {{"POST", svc + "/jobs"}, Get(op)},
       .expect = {.json = R"({"v":1})"}},
      {.name = "OperationLocationOn201PutGetsOriginalUrl",
       .method = "PUT",
       .url = item,
       .body = R"({"name":"x"})",
       .script = {Json(201, R"({"id":"1"})", {{"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1","name":"done"})")},
       .requests = {{"PUT", item}, Get(op), Get(item)},
       .expect = {.json = R"({"id":"1","name":"done"})", .http_status = 200}},
      {.name = "OperationLocationHeaderNameIsCaseInsensitive",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"operation-location", op}}),
                  Json(200, R"({"status":"succeeded","result":{"v":1}})")},
       .requests = {{"POST", svc + "/jobs"}, Get(op)},
       .expect = {.json = R"({"v":1})"}},
      // --- 2. Azure-AsyncOperation ----------------------------------------------------
      {.name = "AzureAsyncOperationPut",
       .method = "PUT",
       .url = item,
       .body = "{}",
       .script = {Json(201, R"({"properties":{"provisioningState":"Creating"}})",
                       {{"Azure-AsyncOperation", aao}}),
                  Json(200, R"({"status":"InProgress"})"), Json(200, R"({"status":"Succeeded"})"),
                  Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")},
       .requests = {{"PUT", item}, Get(aao), Get(aao), Get(item)},
       .expect = {.json = R"({"id":"1","properties":{"provisioningState":"Succeeded"}})"}},
      {.name = "OperationLocationBeatsAzureAsyncOperation",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}, {"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","result":{"v":2}})")},
       .requests = {{"POST", svc + "/jobs"}, Get(op)},
       .expect = {.json = R"({"v":2})"}},
      {.name = "AzureAsyncOperationBeatsLocation",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"Location", svc + "/results/r1"}, {"Azure-AsyncOperation", aao}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"r":1})")},
       .requests = {{"POST", svc + "/jobs"}, Get(aao), Get(svc + "/results/r1")},
       .expect = {.json = R"({"r":1})"}},
      {.name = "AzureAsyncOperationBeatsOperationId",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"x-ms-operation-id", "op9"}, {"Azure-AsyncOperation", aao}}),
                  Json(200, R"({"status":"Succeeded","result":{"x":1}})")},
       .requests = {{"POST", svc + "/jobs"}, Get(aao)},
       .expect = {.json = R"({"x":1})"}},
      // --- 3. x-ms-operation-id (Fabric) ------------------------------------------------
      {.name = "FabricOperationIdWithLocation",
       .method = "POST",
       .url = fab_items,
       .body = R"({"displayName":"nb","type":"Notebook"})",
       .script = {Resp(202,
                       {{"Location", fab_op}, {"x-ms-operation-id", "op1"}, {"Retry-After", "1"}},
                       "null"),
                  Json(200,
                       R"({"status":"Running","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
                       R"("lastUpdatedTimeUtc":"2023-11-13T22:24:41.532Z","percentComplete":25,)"
                       R"("error":null})",
                       {{"Location", fab_op}, {"x-ms-operation-id", "op1"}, {"Retry-After", "1"}}),
                  Json(200,
                       R"({"status":"Succeeded","createdTimeUtc":"2023-11-13T22:24:40.477Z",)"
                       R"("lastUpdatedTimeUtc":"2023-11-13T22:24:49.532Z","percentComplete":100,)"
                       R"("error":null})",
                       {{"Location", fab_op + "/result"}, {"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"id":"item1","displayName":"nb"})")},
       .requests = {{"POST", fab_items}, Get(fab_op), Get(fab_op), Get(fab_op + "/result")},
       .expect = {.json = R"({"id":"item1","displayName":"nb"})"},
       .sleeps = std::vector<milliseconds>{1000ms, 1000ms}},
      {.name = "FabricOperationIdWithoutLocationBuildsStateUrl",
       .method = "POST",
       .url = fab_items + "?beta=true",
       .script = {Resp(202, {{"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})", {{"Location", fab_op + "/result"}}),
                  Json(200, R"({"id":"item1"})")},
       .requests = {{"POST", fab_items + "?beta=true"}, Get(fab_op), Get(fab_op + "/result")},
       .expect = {.json = R"({"id":"item1"})"}},
      {.name = "FabricOperationIdWithoutLocationAndNoResult",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {{"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})")},
       .requests = {{"POST", fab_items}, Get(fab_op)},
       .expect = {.has_value = false}},
      {.name = "FabricOperationIdWithConfiguredBaseUrl",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {{"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})")},
       .options = {.fabric_base_url = "https://west.fabric.example.com"},
       .requests = {{"POST", fab_items}, Get("https://west.fabric.example.com/v1/operations/op1")},
       .expect = {.has_value = false}},
      // --- 4. Location alone (ARM) ----------------------------------------------------
      {.name = "ArmLocation202Then200Result",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(202, {{"Location", loc}}), Resp(202, {{"Location", loc}}),
                  Json(200, R"({"done":true})")},
       .requests = {{"POST", svc + "/actions/run"}, Get(loc), Get(loc)},
       .expect = {.json = R"({"done":true})", .http_status = 200}},
      {.name = "ArmLocation201Result",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(202, {{"Location", loc}}), Json(201, R"({"created":true})")},
       .requests = {{"POST", svc + "/actions/run"}, Get(loc)},
       .expect = {.json = R"({"created":true})", .http_status = 201}},
      {.name = "ArmLocationDelete204NoResult",
       .method = "DELETE",
       .url = item,
       .script = {Resp(202, {{"Location", loc}}), Resp(202), Resp(204)},
       .requests = {{"DELETE", item}, Get(loc), Get(loc)},
       .expect = {.has_value = false}},
      {.name = "ArmLocation200WithKnownStatusIsStatusMonitor",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(202, {{"Location", loc}}),
                  Json(200, R"({"status":"Running","percentComplete":50})", {{"Location", loc}}),
                  Json(200, R"({"status":"Succeeded","percentComplete":100})",
                       {{"Location", loc + "/result"}}),
                  Json(200, R"({"out":1})")},
       .requests = {{"POST", svc + "/actions/run"}, Get(loc), Get(loc), Get(loc + "/result")},
       .expect = {.json = R"({"out":1})"}},
      {.name = "ArmLocation200WithFailedStatusIsOperationFailure",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(202, {{"Location", loc}}),
                  Json(200,
                       R"({"status":"Failed","error":{"errorCode":"Boom","message":"it broke"}})")},
       .requests = {{"POST", svc + "/actions/run"}, Get(loc)},
       .expect = {.code = StatusCode::kOperationFailed, .service_code = "Boom"}},
      {.name = "ArmLocation200WithUnknownStatusFieldIsTheResult",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(202, {{"Location", loc}}), Json(200, R"({"name":"vm1","status":"Active"})")},
       .requests = {{"POST", svc + "/actions/run"}, Get(loc)},
       .expect = {.json = R"({"name":"vm1","status":"Active"})"}},
      // --- 5. provisioningState on PUT/PATCH -----------------------------------------------
      {.name = "BodyPollingPut201",
       .method = "PUT",
       .url = item,
       .body = R"({"a":1})",
       .script = {Json(201, R"({"properties":{"provisioningState":"Creating"}})"),
                  Json(200, R"({"properties":{"provisioningState":"Updating"}})"),
                  Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")},
       .requests = {{"PUT", item}, Get(item), Get(item)},
       .expect = {.json = R"({"id":"1","properties":{"provisioningState":"Succeeded"}})"}},
      {.name = "BodyPollingPatch200Accepted",
       .method = "PATCH",
       .url = item,
       .body = R"({"a":2})",
       .script = {Json(200, R"({"properties":{"provisioningState":"Accepted"}})"),
                  Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")},
       .requests = {{"PATCH", item}, Get(item)},
       .expect = {.json = R"({"id":"1","properties":{"provisioningState":"Succeeded"}})"}},
      {.name = "BodyPollingFailed",
       .method = "PUT",
       .url = item,
       .script = {Json(201, R"({"properties":{"provisioningState":"Creating"}})"),
                  Json(200, R"({"properties":{"provisioningState":"Failed"}})")},
       .requests = {{"PUT", item}, Get(item)},
       .expect = {.code = StatusCode::kOperationFailed}},
      {.name = "BodyPollingCanceled",
       .method = "PUT",
       .url = item,
       .script = {Json(201, R"({"properties":{"provisioningState":"Creating"}})"),
                  Json(200, R"({"properties":{"provisioningState":"Canceled"}})")},
       .requests = {{"PUT", item}, Get(item)},
       .expect = {.code = StatusCode::kOperationCanceled}},
      {.name = "PostBodyProvisioningStateIsNotPolled",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Json(200, R"({"properties":{"provisioningState":"Creating"}})")},
       .requests = {{"POST", svc + "/actions/run"}},
       .expect = {.json = R"({"properties":{"provisioningState":"Creating"}})"}},
      // --- 6. synchronous ---------------------------------------------------------------
      {.name = "Sync200Post",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Json(200, R"({"id":"x"})")},
       .requests = {{"POST", svc + "/actions/run"}},
       .expect = {.has_value = true,
                  .json = R"({"id":"x"})",
                  .content_type = "application/json",
                  .http_status = 200}},
      {.name = "Sync201Put",
       .method = "PUT",
       .url = item,
       .script = {Json(201, R"({"id":"1"})")},
       .requests = {{"PUT", item}},
       .expect = {.json = R"({"id":"1"})", .http_status = 201}},
      {.name = "Sync200PutProvisioningSucceeded",
       .method = "PUT",
       .url = item,
       .script = {Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")},
       .requests = {{"PUT", item}},
       .expect = {.json = R"({"id":"1","properties":{"provisioningState":"Succeeded"}})"}},
      {.name = "Sync204Delete",
       .method = "DELETE",
       .url = item,
       .script = {Resp(204)},
       .requests = {{"DELETE", item}},
       .expect = {.has_value = false}},
      {.name = "Sync204Post",
       .method = "POST",
       .url = svc + "/actions/run",
       .script = {Resp(204)},
       .requests = {{"POST", svc + "/actions/run"}},
       .expect = {.has_value = false}},
      // --- forced mode ------------------------------------------------------------------
      {.name = "ForcedLocationModeIgnoresOperationLocation",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"Operation-Location", op}, {"Location", loc}}),
                  Json(200, R"({"x":1})")},
       .options = {.mode = PollingMode::kLocation},
       .requests = {{"POST", svc + "/jobs"}, Get(loc)},
       .expect = {.json = R"({"x":1})"}},
      {.name = "ForcedBodyModePollsOriginalUrl",
       .method = "PUT",
       .url = item,
       .script = {Json(201, R"({"properties":{"provisioningState":"Creating"}})",
                       {{"Operation-Location", op}}),
                  Json(200, R"({"id":"1","properties":{"provisioningState":"Succeeded"}})")},
       .options = {.mode = PollingMode::kBody},
       .requests = {{"PUT", item}, Get(item)},
       .expect = {.json = R"({"id":"1","properties":{"provisioningState":"Succeeded"}})"}},
      {.name = "ForcedFabricModeOnBareLocation",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {{"Location", fab_op}}), Json(200, R"({"status":"Succeeded"})")},
       .options = {.mode = PollingMode::kFabric},
       .requests = {{"POST", fab_items}, Get(fab_op)},
       .expect = {.has_value = false}},
      {.name = "ForcedOperationLocationModeIgnoresAzureAsyncOperationPriority",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"Azure-AsyncOperation", aao}, {"Operation-Location", op}}),
                  Json(200, R"({"status":"Succeeded","result":{"v":5}})")},
       .options = {.mode = PollingMode::kOperationLocation},
       .requests = {{"POST", svc + "/jobs"}, Get(op)},
       .expect = {.json = R"({"v":5})"}},
      // --- initial body already terminal: no poll (SPEC §3). Which part of that body is the
      // result is left open by SPEC when the body may be the resource, so only "no poll" and
      // "succeeded with a value" are pinned here.
      {.name = "InitialMonitorBodySucceededNoPoll",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Json(202, R"({"id":"op1","status":"Succeeded","result":{"v":1}})",
                       {{"Operation-Location", op}})},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.has_value = true}},
      {.name = "InitialMonitorBody200SucceededNoPoll",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Json(200, R"({"id":"op1","status":"Succeeded","result":{"v":1}})",
                       {{"Operation-Location", op}})},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.has_value = true}},
      {.name = "InitialMonitorBodyFailedNoPoll",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Json(200, R"({"status":"Failed","error":{"code":"BadInput","message":"nope"}})",
                       {{"Operation-Location", op}})},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.code = StatusCode::kOperationFailed,
                  .service_code = "BadInput",
                  .service_message = "nope"}},
      {.name = "InitialMonitorBodyCanceledNoPoll",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Json(200, R"({"status":"Canceled"})", {{"Operation-Location", op}})},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.code = StatusCode::kOperationCanceled}},
      // --- 202 without link -----------------------------------------------------------------
      {.name = "Accepted202WithoutLinkIsProtocolError",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202)},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.code = StatusCode::kProtocolError}},
      {.name = "Accepted202NullBodyWithoutLinkIsProtocolError",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {}, "null")},
       .requests = {{"POST", fab_items}},
       .expect = {.code = StatusCode::kProtocolError}},
      {.name = "Put202WithoutLinkIsProtocolError",
       .method = "PUT",
       .url = item,
       .script = {Resp(202)},
       .requests = {{"PUT", item}},
       .expect = {.code = StatusCode::kProtocolError}},
      // --- the start failed ---------------------------------------------------------------
      {.name = "StartFailsWithFabricError",
       .method = "POST",
       .url = fab_items,
       .script = {Json(400,
                       R"({"errorCode":"InvalidItemType","message":"Item type is invalid",)"
                       R"("requestId":"r-1","isRetriable":false})",
                       {{"x-ms-public-api-error-code", "InvalidItemType"}, {"RequestId", "r-1"}})},
       .requests = {{"POST", fab_items}},
       .expect = {.code = StatusCode::kHttpError,
                  .http_status = 400,
                  .service_code = "InvalidItemType",
                  .service_message = "Item type is invalid"}},
      {.name = "StartFailsWithAzureError",
       .method = "PUT",
       .url = item,
       .script = {Json(409, R"({"error":{"code":"Conflict","message":"already exists"}})",
                       {{"x-ms-error-code", "Conflict"}})},
       .requests = {{"PUT", item}},
       .expect = {.code = StatusCode::kHttpError,
                  .http_status = 409,
                  .service_code = "Conflict",
                  .service_message = "already exists"}},
      {.name = "StartFailsWithAzureErrorCodeHeaderOnly",
       .method = "DELETE",
       .url = item,
       .script = {Resp(404, {{"x-ms-error-code", "ResourceNotFound"}})},
       .requests = {{"DELETE", item}},
       .expect = {.code = StatusCode::kHttpError,
                  .http_status = 404,
                  .service_code = "ResourceNotFound"}},
      {.name = "StartFailsWithFabricErrorCodeHeaderOnly",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(400, {{"x-ms-public-api-error-code", "InvalidRequest"}})},
       .requests = {{"POST", fab_items}},
       .expect = {.code = StatusCode::kHttpError,
                  .http_status = 400,
                  .service_code = "InvalidRequest"}},
      {.name = "StartFailsWithNonJsonBody",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(403, {{"Content-Type", "text/html"}}, "<html>Forbidden</html>")},
       .requests = {{"POST", svc + "/jobs"}},
       .expect = {.code = StatusCode::kHttpError, .http_status = 403}},
      // --- URL resolution -------------------------------------------------------------------
      {.name = "RelativeOperationLocation",
       .method = "PUT",
       .url = item + "?x=y",
       .script = {Resp(201, {{"Operation-Location", "/operations/op1"}}),
                  Json(200, R"({"status":"Succeeded"})"), Json(200, R"({"id":"1"})")},
       .requests = {{"PUT", item + "?x=y"}, Get(op), Get(item + "?x=y")},
       .expect = {.json = R"({"id":"1"})"}},
      {.name = "RelativeLocationWithDotDot",
       .method = "POST",
       .url = svc + "/a/b/c",
       .script = {Resp(202, {{"Location", "../locs/l1"}}), Json(200, R"({"ok":true})")},
       .requests = {{"POST", svc + "/a/b/c"}, Get(svc + "/a/locs/l1")},
       .expect = {.json = R"({"ok":true})"}},
      {.name = "CrossHostFabricLocationAndRelativeResultLocation",
       .method = "POST",
       .url = fab_items,
       .script = {Resp(202, {{"Location", redirect + "/v1/operations/op1"},
                             {"x-ms-operation-id", "op1"}}),
                  Json(200, R"({"status":"Succeeded"})",
                       {{"Location", "/v1/operations/op1/result"}}),
                  Json(200, R"({"id":"item1"})")},
       .requests = {{"POST", fab_items},
                    Get(redirect + "/v1/operations/op1"),
                    Get(redirect + "/v1/operations/op1/result")},
       .expect = {.json = R"({"id":"item1"})"}},
      {.name = "CrossHostOperationLocation",
       .method = "POST",
       .url = svc + "/jobs",
       .script = {Resp(202, {{"Operation-Location", "https://other.example.net/operations/op1"}}),
                  Json(200, R"({"status":"Succeeded","result":{"v":1}})")},
       .requests = {{"POST", svc + "/jobs"}, Get("https://other.example.net/operations/op1")},
       .expect = {.json = R"({"v":1})"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Spec1And3, DetectionTest, ::testing::ValuesIn(DetectionRows()),
                         ScenarioName());

// The service error body of a failed start reaches the Status whole (SPEC §6, both shapes).
TEST(StartErrorTest, FabricErrorResponseFieldsAllMapped) {
  Harness h({Json(400,
                  R"({"errorCode":"InvalidInput","message":"Bad displayName",)"
                  R"("requestId":"9f1e2d3c-0000-4000-8000-000000000001","isRetriable":false,)"
                  R"("moreDetails":[{"errorCode":"NameTooLong","message":"max 256",)"
                  R"("relatedResource":{"resourceId":"ws1","resourceType":"Workspace"}}]})",
                  {{"x-ms-public-api-error-code", "InvalidInput"}})});
  Poller p = h.client.Start(Request::Post(std::string(kFabric) + "/v1/workspaces/ws1/items"));
  ASSERT_TRUE(p.IsDone());
  Status s = p.Outcome().status();
  ASSERT_EQ(s.code(), StatusCode::kHttpError) << s.ToString();
  EXPECT_EQ(s.http_status(), 400);
  ASSERT_TRUE(s.service_error().has_value());
  const ServiceError& e = *s.service_error();
  EXPECT_EQ(e.code, "InvalidInput");
  EXPECT_EQ(e.message, "Bad displayName");
  EXPECT_EQ(e.request_id, "9f1e2d3c-0000-4000-8000-000000000001");
  EXPECT_EQ(e.is_retriable, false);
  ASSERT_EQ(e.details.size(), 1U);
  EXPECT_EQ(e.details[0].code, "NameTooLong");
  EXPECT_EQ(e.details[0].message, "max 256");
  ASSERT_TRUE(e.details[0].related_resource.has_value());
  EXPECT_EQ(e.details[0].related_resource->resource_id, "ws1");
  EXPECT_EQ(e.details[0].related_resource->resource_type, "Workspace");
  std::string text = s.ToString();
  EXPECT_NE(text.find("InvalidInput"), std::string::npos) << text;
  EXPECT_NE(text.find("9f1e2d3c-0000-4000-8000-000000000001"), std::string::npos) << text;
}

TEST(StartErrorTest, AzureErrorFieldsAllMapped) {
  Harness h({Json(409,
                  R"({"error":{"code":"Conflict","message":"exists","target":"name",)"
                  R"("details":[{"code":"Dup","message":"duplicate name","target":"name"}],)"
                  R"("innererror":{"trace":"abc","code":"X1"}}})",
                  {{"x-ms-error-code", "Conflict"}})});
  Poller p = h.client.Start(Request::Put(std::string(kSvc) + "/items/1").Json("{}"));
  ASSERT_TRUE(p.IsDone());
  Status s = p.Outcome().status();
  ASSERT_EQ(s.code(), StatusCode::kHttpError) << s.ToString();
  EXPECT_EQ(s.http_status(), 409);
  ASSERT_TRUE(s.service_error().has_value());
  const ServiceError& e = *s.service_error();
  EXPECT_EQ(e.code, "Conflict");
  EXPECT_EQ(e.message, "exists");
  EXPECT_EQ(e.target, "name");
  ASSERT_EQ(e.details.size(), 1U);
  EXPECT_EQ(e.details[0].code, "Dup");
  EXPECT_EQ(e.details[0].message, "duplicate name");
  EXPECT_EQ(e.details[0].target, "name");
  ASSERT_FALSE(e.inner_error_json.empty());
  EXPECT_EQ(boost::json::parse(e.inner_error_json),
            boost::json::parse(R"({"trace":"abc","code":"X1"})"));
}

TEST(StartErrorTest, SynchronousStartIsDoneWithoutWait) {
  Harness h({Json(200, R"({"id":"x"})")});
  Poller p = h.client.Start(Request::Post(std::string(kSvc) + "/run"));
  EXPECT_TRUE(p.IsDone());
  ASSERT_TRUE(p.Outcome().ok());
  EXPECT_EQ(p.Outcome()->body, R"({"id":"x"})");
  EXPECT_EQ(p.State().status.kind, StatusKind::kSucceeded);
}

TEST(StartErrorTest, InvalidInitialUrlIsInvalidArgumentWithoutRequest) {
  Harness h({});
  Poller p = h.client.Start(Request::Post("not a url"));
  ASSERT_TRUE(p.IsDone());
  EXPECT_EQ(p.Outcome().status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(h.requests().empty());
}

}  // namespace
}  // namespace lro::test
