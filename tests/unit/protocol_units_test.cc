// The protocol machine's units (src/client/protocol), each table-tested directly: pure
// functions of an answer, no clock, no network.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client/protocol/answers.h"
#include "client/protocol/detection.h"
#include "client/protocol/final_state.h"
#include "client/protocol/lro_machine.h"
#include "client/protocol/monitor_body.h"
#include "client/protocol/request_decorator.h"

namespace lro::internal {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

constexpr char kUrl[] = "https://svc.example.com/v1/items/1?api-version=2024-01-01";

boost::json::value Json(std::string_view text) { return boost::json::parse(text); }

// Each table row's name names its test.
template <typename Row>
std::string RowName(const ::testing::TestParamInfo<Row>& row) {
  return row.param.name;
}

// ---- detection ---------------------------------------------------------------------------

struct DetectionRow {
  std::string name;
  std::string method = "PUT";
  int status = 202;
  Headers headers;
  std::string body;
  std::string location;  // resolved Location
  PollingMode forced = PollingMode::kAuto;
  Mode mode = Mode::kNone;
  std::string monitor;
  StatusCode error = StatusCode::kOk;
};
void PrintTo(const DetectionRow& row, std::ostream* os) { *os << row.name; }

class DetectPollingModeTest : public ::testing::TestWithParam<DetectionRow> {};
TEST_P(DetectPollingModeTest, ModeAndMonitor) {
  const DetectionRow& row = GetParam();
  HttpResponse response{row.status, row.headers, row.body};
  std::optional<boost::json::value> body;
  if (!row.body.empty()) body = Json(row.body);
  OperationOptions options;
  options.mode = row.forced;
  auto got = DetectPollingMode(
      FirstAnswer{row.method, kUrl, response, body ? &*body : nullptr, row.location}, options);
  if (row.error != StatusCode::kOk) {
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), row.error) << got.status().ToString();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ModeName(got->mode), std::string(ModeName(row.mode)));
  EXPECT_EQ(got->monitor_url, row.monitor);
}
INSTANTIATE_TEST_SUITE_P(
    Table, DetectPollingModeTest,
    ::testing::Values(
        DetectionRow{
            .name = "OperationLocationFirst",
            .headers = {{"Operation-Location", "/ops/1"}, {"Azure-AsyncOperation", "/async/1"}},
            .mode = Mode::kOperationLocation,
            .monitor = "https://svc.example.com/ops/1"},
        DetectionRow{.name = "AzureAsyncOperation",
                     .headers = {{"azure-asyncoperation", "https://other.example.com/a"}},
                     .mode = Mode::kAzureAsyncOperation,
                     .monitor = "https://other.example.com/a"},
        DetectionRow{.name = "FabricFromLocation",
                     .method = "POST",
                     .headers = {{"x-ms-operation-id", "abc"}},
                     .location = "https://svc.example.com/v1/operations/abc",
                     .mode = Mode::kFabric,
                     .monitor = "https://svc.example.com/v1/operations/abc"},
        DetectionRow{.name = "FabricBuiltFromTheId",
                     .method = "POST",
                     .headers = {{"x-ms-operation-id", "op-1_2.3"}},
                     .mode = Mode::kFabric,
                     .monitor = "https://svc.example.com/v1/operations/op-1_2.3"},
        DetectionRow{.name = "FabricIdThatIsNotPlain",
                     .method = "POST",
                     .headers = {{"x-ms-operation-id", "../x"}},
                     .error = StatusCode::kProtocolError},
        DetectionRow{.name = "FabricIdOnA200IsNotPolled",
                     .status = 200,
                     .headers = {{"x-ms-operation-id", "abc"}},
                     .mode = Mode::kNone},
        DetectionRow{.name = "LocationOnA202",
                     .method = "POST",
                     .location = "https://svc.example.com/status/9",
                     .mode = Mode::kLocation,
                     .monitor = "https://svc.example.com/status/9"},
        DetectionRow{.name = "RunningProvisioningStateOfAPut",
                     .status = 201,
                     .body = R"({"properties":{"provisioningState":"Creating"}})",
                     .mode = Mode::kBody,
                     .monitor = kUrl},
        DetectionRow{.name = "TerminalProvisioningStateIsNotPolled",
                     .status = 200,
                     .body = R"({"properties":{"provisioningState":"Succeeded"}})",
                     .mode = Mode::kNone},
        DetectionRow{.name = "RunningProvisioningStateOfAPostIsNotBody",
                     .method = "POST",
                     .status = 200,
                     .body = R"({"properties":{"provisioningState":"Creating"}})",
                     .mode = Mode::kNone},
        DetectionRow{.name = "GoogleOperation",
                     .method = "POST",
                     .status = 200,
                     .body = R"({"name":"operations/42","done":false})",
                     .mode = Mode::kGoogle,
                     .monitor = "https://svc.example.com/v1/operations/42"},
        DetectionRow{.name = "NothingToPoll", .status = 200, .body = "{}", .mode = Mode::kNone},
        DetectionRow{.name = "ForcedModeWithoutItsHeaderIsNone",
                     .headers = {{"Operation-Location", "/ops/1"}},
                     .forced = PollingMode::kAzureAsyncOperation,
                     .mode = Mode::kNone},
        DetectionRow{.name = "ForcedLocationOnA200",
                     .status = 200,
                     .location = "https://svc.example.com/status/9",
                     .forced = PollingMode::kLocation,
                     .mode = Mode::kLocation,
                     .monitor = "https://svc.example.com/status/9"},
        DetectionRow{.name = "UnresolvableOperationLocation",
                     .headers = {{"Operation-Location", "ftp://x/y"}},
                     .error = StatusCode::kProtocolError}),
    RowName<DetectionRow>);

TEST(ModeNameTest, RoundTripsEveryMode) {
  for (Mode mode : {Mode::kNone, Mode::kOperationLocation, Mode::kAzureAsyncOperation,
                    Mode::kFabric, Mode::kLocation, Mode::kBody, Mode::kGoogle}) {
    EXPECT_EQ(ModeFromName(ModeName(mode)), mode) << ModeName(mode);
  }
  EXPECT_EQ(ModeFromName("unknown"), Mode::kUnknown);
  EXPECT_EQ(ModeFromName("Fabric"), Mode::kUnknown);
  EXPECT_EQ(ModeForMonitor(PollingMode::kAuto), Mode::kLocation);
  EXPECT_EQ(ModeForMonitor(PollingMode::kFabric), Mode::kFabric);
}

TEST(WaitPreferenceAppliedTest, NamesTheWaitPreference) {
  struct Row {
    Headers headers;
    bool applied;
  };
  for (const Row& row : std::vector<Row>{
           {{{"Preference-Applied", "wait=30"}}, true},
           {{{"preference-applied", "respond-async, Wait"}}, true},
           {{{"Preference-Applied", " wait ; x=1"}}, true},
           {{{"Preference-Applied", "return=minimal"}}, false},
           {{{"Preference-Applied", "waiting=1"}}, false},
           {{{"Prefer", "wait=30"}}, false},
           {{}, false},
       }) {
    EXPECT_EQ(WaitPreferenceApplied(row.headers), row.applied)
        << (row.headers.empty() ? "" : row.headers[0].value);
  }
}

// ---- monitor body ------------------------------------------------------------------------

struct MonitorRow {
  std::string name;
  std::string body;
  StatusKind kind = StatusKind::kRunning;
  bool known = true;
  std::optional<std::optional<int>> percent;
  std::string id;
  std::string error_code;  // of `error`, when the body has one
  StatusCode failure = StatusCode::kOk;
};
void PrintTo(const MonitorRow& row, std::ostream* os) { *os << row.name; }

class MonitorBodyTest : public ::testing::TestWithParam<MonitorRow> {};
TEST_P(MonitorBodyTest, Reads) {
  const MonitorRow& row = GetParam();
  const auto body = Json(row.body);
  auto got = ReadMonitorBody(body);
  if (row.failure != StatusCode::kOk) {
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), row.failure);
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status.kind, row.kind);
  EXPECT_EQ(got->status.known, row.known);
  EXPECT_EQ(got->percent_complete, row.percent);
  EXPECT_EQ(got->id, row.id);
  EXPECT_EQ(got->has_error, !row.error_code.empty());
  if (!row.error_code.empty()) {
    ASSERT_TRUE(got->error.has_value());
    EXPECT_EQ(got->error->code, row.error_code);
  }
}
INSTANTIATE_TEST_SUITE_P(
    Table, MonitorBodyTest,
    ::testing::Values(
        MonitorRow{.name = "Running", .body = R"({"status":"Running"})"},
        MonitorRow{.name = "FabricWithIdAndPercent",
                   .body = R"({"status":"InProgress","id":"op-1","percentComplete":40})",
                   .percent = std::optional<int>(40),
                   .id = "op-1"},
        MonitorRow{.name = "PercentClampedHigh",
                   .body = R"({"status":"Running","percentComplete":250})",
                   .percent = std::optional<int>(100)},
        MonitorRow{.name = "PercentClampedLow",
                   .body = R"({"status":"Running","percentComplete":-5})",
                   .percent = std::optional<int>(0)},
        MonitorRow{.name = "PercentDouble",
                   .body = R"({"status":"Running","percentComplete":12.9})",
                   .percent = std::optional<int>(12)},
        MonitorRow{.name = "PercentNullForgets",
                   .body = R"({"status":"Running","percentComplete":null})",
                   .percent = std::optional<int>()},
        MonitorRow{.name = "PercentTextIsIgnored",
                   .body = R"({"status":"Running","percentComplete":"40"})"},
        MonitorRow{
            .name = "UnknownStatusRunsOn", .body = R"({"status":"Thinking"})", .known = false},
        MonitorRow{.name = "SucceededAnyCase",
                   .body = R"({"status":"succeeded"})",
                   .kind = StatusKind::kSucceeded},
        MonitorRow{.name = "FailedWithError",
                   .body = R"({"status":"Failed","error":{"errorCode":"Boom","message":"m"}})",
                   .kind = StatusKind::kFailed,
                   .error_code = "Boom"},
        MonitorRow{
            .name = "NotAnObject", .body = R"(["Running"])", .failure = StatusCode::kProtocolError},
        MonitorRow{
            .name = "NoStatus", .body = R"({"id":"x"})", .failure = StatusCode::kProtocolError},
        MonitorRow{.name = "StatusNotAString",
                   .body = R"({"status":3})",
                   .failure = StatusCode::kProtocolError}),
    RowName<MonitorRow>);

TEST(MonitorBodyTimes, TimestampsEitherSpelling) {
  const auto body = Json(R"({"status":"Running","createdTimeUtc":"2024-01-01T00:00:00Z",)"
                         R"("lastUpdatedDateTime":"2024-01-01T00:00:05Z"})");
  auto got = ReadMonitorBody(body);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->created && got->last_updated);
  EXPECT_EQ(*got->last_updated - *got->created, 5s);
}

// ---- monitor body, read from its text ----------------------------------------------------

struct ScanRow {
  std::string name;
  std::string body;
  MonitorScan outcome = MonitorScan::kRead;
};
void PrintTo(const ScanRow& row, std::ostream* os) { *os << row.name; }

// Every MonitorBodyTest body, and the shapes only a text reader meets: the scan reads what
// the DOM reads, or says it cannot (kNeedsDom) or that the text is not JSON at all.
class MonitorScanTest : public ::testing::TestWithParam<ScanRow> {};
TEST_P(MonitorScanTest, ReadsAsTheDomDoes) {
  const ScanRow& row = GetParam();
  const auto scanned = ScanMonitorBody(row.body);
  ASSERT_EQ(scanned.outcome, row.outcome);
  EXPECT_EQ(scanned.outcome == MonitorScan::kNotJson, !ParseBody(row.body).has_value());
  if (scanned.outcome != MonitorScan::kRead) return;
  const auto dom = ReadMonitorBody(Json(row.body));
  ASSERT_TRUE(dom.ok()) << dom.status().ToString();
  EXPECT_EQ(scanned.reading.status, dom->status);
  EXPECT_EQ(scanned.reading.id, dom->id);
  EXPECT_EQ(scanned.reading.percent_complete, dom->percent_complete);
  EXPECT_EQ(scanned.reading.created, dom->created);
  EXPECT_EQ(scanned.reading.last_updated, dom->last_updated);
  EXPECT_EQ(scanned.reading.has_error, dom->has_error);
}
INSTANTIATE_TEST_SUITE_P(
    Table, MonitorScanTest,
    ::testing::Values(
        ScanRow{"Running", R"({"status":"Running"})"},
        ScanRow{"FabricWithIdAndPercent",
                R"({"status":"InProgress","id":"op-1","percentComplete":40})"},
        ScanRow{"PercentClampedHigh", R"({"status":"Running","percentComplete":250})"},
        ScanRow{"PercentClampedLow", R"({"status":"Running","percentComplete":-5})"},
        ScanRow{"PercentDouble", R"({"status":"Running","percentComplete":12.9})"},
        ScanRow{"PercentHugeUnsigned",
                R"({"status":"Running","percentComplete":18446744073709551615})"},
        ScanRow{"PercentNullForgets", R"({"status":"Running","percentComplete":null})"},
        ScanRow{"PercentTextIsIgnored", R"({"status":"Running","percentComplete":"40"})"},
        ScanRow{"PercentObjectIsIgnored", R"({"status":"Running","percentComplete":{"v":1}})"},
        ScanRow{"UnknownStatus", R"({"status":"Thinking"})"},
        ScanRow{"TerminalAnyCase", R"({"status":"succeeded","result":{"ok":true}})"},
        ScanRow{"IdNotAString", R"({"status":"Running","id":7})"},
        ScanRow{"Timestamps",
                R"({"status":"Running","createdTimeUtc":"2024-01-01T00:00:00Z",)"
                R"("createdDateTime":"2024-01-01T00:00:01Z","lastUpdatedDateTime":"bad"})"},
        ScanRow{"EscapesInKeysAndValues",
                R"({"st\u0061tus":"Runn\u0069ng","\u0069d":"a\"b\\c","x":"\u00e9"})"},
        ScanRow{"NestedFieldsAreNotTopLevel",
                R"({"properties":{"status":"Failed","error":{"code":"x"}},)"
                R"("list":[{"status":"Failed"},1,true,null],"status":"Running"})"},
        ScanRow{"KeysAreCaseSensitive", R"({"Status":"Failed","status":"Running","ID":"x"})"},
        ScanRow{"Whitespace", " \n{ \"status\" : \"Running\" }\t"},
        // Only the DOM reads these: the protocol then parses the body.
        ScanRow{"ErrorMember", R"({"status":"Running","error":{"code":"Warn"}})",
                MonitorScan::kNeedsDom},
        ScanRow{"DuplicateStatus", R"({"status":"Running","status":"Failed"})",
                MonitorScan::kNeedsDom},
        ScanRow{"DuplicateEscapedKey", R"({"status":"Running","st\u0061tus":"Failed"})",
                MonitorScan::kNeedsDom},
        ScanRow{"NotAnObject", R"(["Running"])", MonitorScan::kNeedsDom},
        ScanRow{"ScalarDocument", R"("Running")", MonitorScan::kNeedsDom},
        ScanRow{"NoStatus", R"({"id":"x"})", MonitorScan::kNeedsDom},
        ScanRow{"StatusNotAString", R"({"status":3})", MonitorScan::kNeedsDom},
        ScanRow{"StatusAnObject", R"({"status":{"value":"Running"}})", MonitorScan::kNeedsDom},
        // Not JSON, as ParseBody says.
        ScanRow{"Empty", "", MonitorScan::kNotJson},
        ScanRow{"Html", "<html>busy</html>", MonitorScan::kNotJson},
        ScanRow{"TrailingData", R"({"status":"Running"} x)", MonitorScan::kNotJson},
        ScanRow{"TwoDocuments", R"({"status":"Running"}{})", MonitorScan::kNotJson},
        ScanRow{"TrailingComma", R"({"status":"Running",})", MonitorScan::kNotJson},
        ScanRow{"Truncated", R"({"status":"Runn)", MonitorScan::kNotJson},
        ScanRow{"Comment", R"({"status":"Running"/*x*/})", MonitorScan::kNotJson},
        ScanRow{"InvalidUtf8", "{\"status\":\"Run\xff\"}", MonitorScan::kNotJson},
        ScanRow{"TooDeep", std::string(40, '[') + std::string(40, ']'), MonitorScan::kNotJson}),
    RowName<ScanRow>);

// ---- final state -------------------------------------------------------------------------

struct FinalRow {
  std::string name;
  Mode mode = Mode::kOperationLocation;
  std::string method = "PUT";
  FinalStateVia via = FinalStateVia::kDefault;
  std::string location;  // the latest Location seen
  Headers headers;       // of the terminal answer
  std::string body = R"({"status":"Succeeded"})";
  std::string final_get;    // expected final GET URL…
  std::string result_body;  // …or expected result body
  bool has_result = true;
};
void PrintTo(const FinalRow& row, std::ostream* os) { *os << row.name; }

constexpr char kMonitor[] = "https://svc.example.com/ops/1";

class FinalStateTest : public ::testing::TestWithParam<FinalRow> {};
TEST_P(FinalStateTest, FinalStep) {
  const FinalRow& row = GetParam();
  const HttpResponse response{200, row.headers, row.body};
  const auto body = Json(row.body);
  auto got = FinalStepOnSuccess(
      SucceededAnswer{row.mode, row.method, kUrl, kMonitor, row.location, row.via, response, body});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  if (!row.final_get.empty()) {
    ASSERT_TRUE(got->final_get_url.has_value());
    EXPECT_EQ(*got->final_get_url, row.final_get);
    return;
  }
  ASSERT_FALSE(got->final_get_url.has_value()) << *got->final_get_url;
  ASSERT_TRUE(got->result.has_value());
  EXPECT_EQ(got->result->has_value, row.has_result);
  EXPECT_EQ(got->result->body, row.result_body);
}
INSTANTIATE_TEST_SUITE_P(
    Table, FinalStateTest,
    ::testing::Values(
        FinalRow{.name = "ResourceLocationFirst",
                 .method = "POST",
                 .location = "https://svc.example.com/loc",
                 .body = R"({"status":"Succeeded","resourceLocation":"/things/7","result":1})",
                 .final_get = "https://svc.example.com/things/7"},
        FinalRow{.name = "FabricOwnLocation",
                 .mode = Mode::kFabric,
                 .method = "POST",
                 .headers = {{"Location", "/ops/1/result"}},
                 .final_get = "https://svc.example.com/ops/1/result"},
        FinalRow{.name = "FabricLocationOfTheMonitorItselfIsNoResult",
                 .mode = Mode::kFabric,
                 .method = "POST",
                 .headers = {{"Location", kMonitor}},
                 .has_result = false},
        FinalRow{.name = "ResultMember",
                 .method = "POST",
                 .body = R"({"status":"Succeeded","result":{"a":1}})",
                 .result_body = R"({"a":1})"},
        FinalRow{.name = "PostFollowsLocation",
                 .method = "POST",
                 .location = "https://svc.example.com/loc",
                 .final_get = "https://svc.example.com/loc"},
        FinalRow{.name = "PostOriginalUri",
                 .method = "post",
                 .via = FinalStateVia::kOriginalUri,
                 .final_get = kUrl},
        FinalRow{.name = "PostViaMonitorIsTheBody",
                 .method = "POST",
                 .via = FinalStateVia::kAzureAsyncOperation,
                 .location = "https://svc.example.com/loc",
                 .result_body = R"({"status":"Succeeded"})"},
        FinalRow{.name = "PutGetsTheOriginalUri", .final_get = kUrl},
        FinalRow{.name = "PatchGetsTheOriginalUri", .method = "PATCH", .final_get = kUrl},
        FinalRow{.name = "DeleteIsTheBody",
                 .method = "DELETE",
                 .result_body = R"({"status":"Succeeded"})"}),
    RowName<FinalRow>);

TEST(FinalStateErrors, UnresolvableFabricLocationIsAnError) {
  const HttpResponse response{200, {{"Location", "ftp://x/y"}}, ""};
  const auto body = Json(R"({"status":"Succeeded"})");
  auto got = FinalStepOnSuccess(SucceededAnswer{Mode::kFabric, "POST", kUrl, kMonitor, "",
                                                FinalStateVia::kDefault, response, body});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kProtocolError);
}

TEST(FinalStateErrors, UnresolvableResourceLocationIsAnError) {
  const HttpResponse response{200, {}, ""};
  const auto body = Json(R"({"status":"Succeeded","resourceLocation":"ftp://x/y"})");
  auto got = FinalStepOnSuccess(SucceededAnswer{Mode::kOperationLocation, "PUT", kUrl, kMonitor, "",
                                                FinalStateVia::kDefault, response, body});
  EXPECT_FALSE(got.ok());
}

struct FailureRow {
  std::string name;
  LroStatus status;
  std::optional<ServiceError> known;
  std::string body;
  StatusCode code;
  std::string error_code;  // of the service error carried, empty for none
};
void PrintTo(const FailureRow& row, std::ostream* os) { *os << row.name; }

ServiceError Error(std::string code) {
  ServiceError error;
  error.code = std::move(code);
  error.message = "m";
  return error;
}

class TerminalFailureTest : public ::testing::TestWithParam<FailureRow> {};
TEST_P(TerminalFailureTest, StatusAndError) {
  const FailureRow& row = GetParam();
  auto got = TerminalFailure(row.status, row.known, Json(row.body));
  EXPECT_EQ(got.status.code(), row.code) << got.status.ToString();
  if (row.error_code.empty()) {
    EXPECT_FALSE(got.error.has_value());
    EXPECT_FALSE(got.status.service_error());
  } else {
    ASSERT_TRUE(got.error.has_value());
    EXPECT_EQ(got.error->code, row.error_code);
    ASSERT_TRUE(got.status.service_error());
    EXPECT_EQ(got.status.service_error()->code, row.error_code);
    EXPECT_NE(got.status.message().find(row.error_code), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(
    Table, TerminalFailureTest,
    ::testing::Values(FailureRow{"FailedWithoutError", ClassifyStatus("Failed"), std::nullopt, "{}",
                                 StatusCode::kOperationFailed, ""},
                      FailureRow{"KnownErrorWins", ClassifyStatus("Failed"), Error("Known"),
                                 R"({"error":{"code":"Body"}})", StatusCode::kOperationFailed,
                                 "Known"},
                      FailureRow{"ErrorMember", ClassifyStatus("Failed"), std::nullopt,
                                 R"({"error":{"code":"Body","message":"m"}})",
                                 StatusCode::kOperationFailed, "Body"},
                      FailureRow{"PropertiesError", ClassifyStatus("Failed"), std::nullopt,
                                 R"({"properties":{"error":{"code":"Arm","message":"m"}}})",
                                 StatusCode::kOperationFailed, "Arm"},
                      FailureRow{"Canceled", ClassifyStatus("Cancelled"), std::nullopt, "{}",
                                 StatusCode::kOperationCanceled, ""},
                      FailureRow{"FabricCancelIsFailedWithOperationCanceled",
                                 ClassifyStatus("Failed"), Error("OperationCanceled"), "{}",
                                 StatusCode::kOperationCanceled, "OperationCanceled"}),
    RowName<FailureRow>);

// ---- request decorator -------------------------------------------------------------------

MachineConfig Config() {
  MachineConfig config;
  config.sensitive_headers = {"X-Secret"};
  config.allowed_credential_hosts = {"*.trusted.example.com"};
  return config;
}

struct DecoratorRow {
  std::string name;
  std::string url;  // of the later request
  Headers expected;
};
void PrintTo(const DecoratorRow& row, std::ostream* os) { *os << row.name; }

class RequestDecoratorTest : public ::testing::TestWithParam<DecoratorRow> {};
TEST_P(RequestDecoratorTest, BuildsLaterRequests) {
  const MachineConfig config = Config();
  const HttpRequest initial{"PUT",
                            kUrl,
                            {{"Authorization", "Bearer t"},
                             {"X-Secret", "s"},
                             {"x-ms-client-request-id", "c1"},
                             {"Content-Type", "application/json"},
                             {"If-Match", "*"},
                             {"Idempotency-Key", "k"}},
                            "{}"};
  const RequestDecorator decorator(initial, config);
  const HttpRequest got = decorator.Build("GET", GetParam().url, config);
  EXPECT_EQ(got.method, "GET");
  EXPECT_EQ(got.headers, GetParam().expected);
  EXPECT_EQ(decorator.carried_headers(), (Headers{{"x-ms-client-request-id", "c1"}}));
}
const Headers kAll{
    {"x-ms-client-request-id", "c1"}, {"Authorization", "Bearer t"}, {"X-Secret", "s"}};
const Headers kNoCredentials{{"x-ms-client-request-id", "c1"}};
INSTANTIATE_TEST_SUITE_P(
    Table, RequestDecoratorTest,
    ::testing::Values(
        DecoratorRow{"SameOrigin", "https://svc.example.com/ops/1", kAll},
        DecoratorRow{"SameOriginOtherSpelling", "HTTPS://SVC.example.com:443/ops/1", kAll},
        DecoratorRow{"AllowedHost", "https://a.trusted.example.com/ops/1", kAll},
        DecoratorRow{"OtherHost", "https://evil.example.com/ops/1", kNoCredentials},
        DecoratorRow{"DowngradeToHttp", "http://svc.example.com/ops/1", kNoCredentials},
        DecoratorRow{"AllowedHostOverHttp", "http://a.trusted.example.com/ops/1", kNoCredentials}),
    RowName<DecoratorRow>);

TEST(RequestDecoratorParts, ApiVersionIsAddedWhereMissing) {
  MachineConfig config = Config();
  const RequestDecorator decorator(HttpRequest{"PUT", kUrl, {}, {}}, config);
  EXPECT_EQ(decorator.Build("GET", "https://svc.example.com/ops/1", config).url,
            "https://svc.example.com/ops/1?api-version=2024-01-01");
  EXPECT_EQ(decorator.Build("GET", "https://svc.example.com/ops/1?api-version=9", config).url,
            "https://svc.example.com/ops/1?api-version=9");
  config.options.propagate_api_version = false;
  EXPECT_EQ(decorator.Build("GET", "https://svc.example.com/ops/1", config).url,
            "https://svc.example.com/ops/1");
}

TEST(RequestDecoratorParts, CookiesPerHostAfterTheCallersOwn) {
  const MachineConfig config = Config();
  RequestDecorator decorator(HttpRequest{"PUT", kUrl, {{"Cookie", "mine=1"}}, {}}, config);
  decorator.RecordCookies({{"Set-Cookie", "s=1; Path=/; HttpOnly"}, {"set-cookie", " t = 2 "}},
                          "https://svc.example.com/v1/items/1");
  decorator.RecordCookies({{"Set-Cookie", "other=3"}}, "https://elsewhere.example.com/");
  HttpRequest same = decorator.Build("GET", "https://svc.example.com/ops/1", config);
  EXPECT_EQ(FindHeader(same.headers, "Cookie"), "mine=1; s=1; t=2");
  HttpRequest other{"GET", "https://elsewhere.example.com/x", {}, {}};
  decorator.AddCookies(other);
  EXPECT_EQ(FindHeader(other.headers, "Cookie"), "other=3");
  decorator.RecordCookies({{"Set-Cookie", "s=; Max-Age=0"}}, "https://svc.example.com/");
  EXPECT_EQ(FindHeader(decorator.Build("GET", kUrl, config).headers, "Cookie"), "mine=1; t=2");
}

struct RepeatabilityRow {
  std::string name;
  std::string method;
  Headers headers;
  Headers expected_added;  // after the caller's headers
};
void PrintTo(const RepeatabilityRow& row, std::ostream* os) { *os << row.name; }

class RepeatabilityTest : public ::testing::TestWithParam<RepeatabilityRow> {};
TEST_P(RepeatabilityTest, AddsAKeyToAKeylessPost) {
  const RepeatabilityRow& row = GetParam();
  HttpRequest request{row.method, kUrl, row.headers, {}};
  int ids = 0;
  const auto wall = std::chrono::system_clock::time_point(std::chrono::sys_days{
                        std::chrono::year{1994} / std::chrono::November / 6}) +
                    8h + 49min + 37s;
  AddRepeatabilityHeaders(
      request, [&] { return "id-" + std::to_string(++ids); }, wall);
  Headers expected = row.headers;
  expected.insert(expected.end(), row.expected_added.begin(), row.expected_added.end());
  EXPECT_EQ(request.headers, expected);
}
INSTANTIATE_TEST_SUITE_P(
    Table, RepeatabilityTest,
    ::testing::Values(
        RepeatabilityRow{"KeylessPost",
                         "POST",
                         {},
                         {{"Repeatability-Request-ID", "id-1"},
                          {"Repeatability-First-Sent", "Sun, 06 Nov 1994 08:49:37 GMT"}}},
        RepeatabilityRow{"CallersRequestIdKept",
                         "post",
                         {{"Repeatability-Request-ID", "mine"}},
                         {{"Repeatability-First-Sent", "Sun, 06 Nov 1994 08:49:37 GMT"}}},
        RepeatabilityRow{"IdempotencyKey", "POST", {{"Idempotency-Key", "k"}}, {}},
        RepeatabilityRow{"OperationId", "POST", {{"Operation-Id", "o"}}, {}},
        RepeatabilityRow{"Put", "PUT", {}, {}}),
    RowName<RepeatabilityRow>);

// ---- the machine with its id source injected ---------------------------------------------

TEST(LroMachineTest, RepeatabilityIdComesFromTheInjectedSource) {
  auto config = std::make_shared<MachineConfig>();
  int ids = 0;
  config->new_id = [&] { return "fixed-" + std::to_string(++ids); };
  const Instant now{MonotonicTime{}, std::chrono::system_clock::time_point{}};
  LroMachine first(HttpRequest{"POST", kUrl, {}, "{}"}, config, 1, now);
  LroMachine second(HttpRequest{"POST", kUrl, {}, "{}"}, config, 1, now);
  EXPECT_EQ(FindHeader(first.PendingRequest().request.headers, "Repeatability-Request-ID"),
            "fixed-1");
  EXPECT_EQ(FindHeader(second.PendingRequest().request.headers, "Repeatability-Request-ID"),
            "fixed-2");
  EXPECT_EQ(FindHeader(first.PendingRequest().request.headers, "Repeatability-First-Sent"),
            "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace lro::internal
