// The value types of the model: status mapping (SPEC §2), timestamps, Status/StatusOr,
// Result, headers, requests and cancellation.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "lro/cancellation.h"
#include "lro/http.h"
#include "lro/json.h"
#include "lro/operation_state.h"
#include "lro/request.h"
#include "lro/result.h"
#include "lro/status.h"
#include "scenario.h"

namespace lro {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)

// --- ClassifyStatus: every value of SPEC §2's table -------------------------------------

struct StatusRow {
  std::string raw;
  StatusKind kind;
  bool known;
};
void PrintTo(const StatusRow& row, std::ostream* os) { *os << row.raw; }

struct StatusRowName {
  std::string operator()(const ::testing::TestParamInfo<StatusRow>& param) const {
    std::string name = param.param.raw.empty() ? "Empty" : param.param.raw;
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name + "_" + std::to_string(param.index);
  }
};

class ClassifyStatusTest : public ::testing::TestWithParam<StatusRow> {};

TEST_P(ClassifyStatusTest, MapsPerSpecTable) {
  const StatusRow& row = GetParam();
  LroStatus s = ClassifyStatus(row.raw);
  EXPECT_EQ(s.kind, row.kind);
  EXPECT_EQ(s.known, row.known);
  EXPECT_EQ(s.raw, row.raw) << "the service's own spelling must be kept";
  EXPECT_EQ(s.terminal(), row.kind != StatusKind::kRunning);
}

INSTANTIATE_TEST_SUITE_P(
    Spec2, ClassifyStatusTest,
    ::testing::Values(StatusRow{"Succeeded", StatusKind::kSucceeded, true},
                      StatusRow{"Completed", StatusKind::kSucceeded, true},
                      StatusRow{"Failed", StatusKind::kFailed, true},
                      StatusRow{"Undefined", StatusKind::kFailed, true},
                      StatusRow{"Canceled", StatusKind::kCanceled, true},
                      StatusRow{"Cancelled", StatusKind::kCanceled, true},
                      StatusRow{"NotStarted", StatusKind::kRunning, true},
                      StatusRow{"Running", StatusKind::kRunning, true},
                      StatusRow{"InProgress", StatusKind::kRunning, true},
                      StatusRow{"Accepted", StatusKind::kRunning, true},
                      StatusRow{"Started", StatusKind::kRunning, true},
                      StatusRow{"Creating", StatusKind::kRunning, true},
                      StatusRow{"Updating", StatusKind::kRunning, true},
                      StatusRow{"Deleting", StatusKind::kRunning, true},
                      StatusRow{"Canceling", StatusKind::kRunning, true},
                      StatusRow{"Cancelling", StatusKind::kRunning, true},
                      // case-insensitive
                      StatusRow{"succeeded", StatusKind::kSucceeded, true},
                      StatusRow{"SUCCEEDED", StatusKind::kSucceeded, true},
                      StatusRow{"completed", StatusKind::kSucceeded, true},
                      StatusRow{"fAiLeD", StatusKind::kFailed, true},
                      StatusRow{"undefined", StatusKind::kFailed, true},
                      StatusRow{"CANCELED", StatusKind::kCanceled, true},
                      StatusRow{"cancelled", StatusKind::kCanceled, true},
                      StatusRow{"notstarted", StatusKind::kRunning, true},
                      StatusRow{"RUNNING", StatusKind::kRunning, true},
                      StatusRow{"inprogress", StatusKind::kRunning, true},
                      StatusRow{"canceling", StatusKind::kRunning, true},
                      // open enum: unknown values keep polling, reported as unknown
                      StatusRow{"Provisioning", StatusKind::kRunning, false},
                      StatusRow{"Paused", StatusKind::kRunning, false},
                      StatusRow{"", StatusKind::kRunning, false},
                      StatusRow{"Succeeded ", StatusKind::kRunning, false},
                      StatusRow{"Success", StatusKind::kRunning, false}),
    StatusRowName());

TEST(StatusKindNameTest, NamesEachKind) {
  EXPECT_STREQ(StatusKindName(StatusKind::kRunning), "Running");
  EXPECT_STREQ(StatusKindName(StatusKind::kSucceeded), "Succeeded");
  EXPECT_STREQ(StatusKindName(StatusKind::kFailed), "Failed");
  EXPECT_STREQ(StatusKindName(StatusKind::kCanceled), "Canceled");
}

TEST(OperationStateTest, DoneFollowsTerminalStatus) {
  OperationState s;
  EXPECT_FALSE(s.done());
  s.status = ClassifyStatus("Failed");
  EXPECT_TRUE(s.done());
}

// --- ParseTimestamp ------------------------------------------------------------------------

Timestamp At(int y, unsigned mo, unsigned d, int h, int mi, int s, milliseconds ms = {}) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + ms;
}

TEST(ParseTimestampTest, ZuluWithMilliseconds) {
  auto t = ParseTimestamp("2023-11-13T22:24:40.477Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, At(2023, 11, 13, 22, 24, 40, 477ms));
}

TEST(ParseTimestampTest, LiveFabricFormWithoutZoneAndSevenDigitsIsUtc) {
  auto t = ParseTimestamp("2023-11-13T22:24:40.4770000");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, At(2023, 11, 13, 22, 24, 40, 477ms));
  EXPECT_EQ(ParseTimestamp("2023-11-13T22:24:40.4770000"),
            ParseTimestamp("2023-11-13T22:24:40.477Z"));
}

TEST(ParseTimestampTest, YearsATimePointCannotHoldAreRejected) {
  // Nanoseconds in 64 bits reach from 1677-09-21 to 2262-04-11: beyond, converting overflowed.
  EXPECT_FALSE(ParseTimestamp("3941-01-01T00:00:05Z").has_value());
  EXPECT_FALSE(ParseTimestamp("9999-12-31T23:59:59Z").has_value());
  EXPECT_FALSE(ParseTimestamp("0001-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2262-04-12T00:00:00+00:00").has_value());
  ASSERT_TRUE(ParseTimestamp("2262-04-10T00:00:00Z").has_value());
  EXPECT_EQ(*ParseTimestamp("1678-01-01T00:00:00Z"), At(1678, 1, 1, 0, 0, 0));
}

TEST(ParseTimestampTest, SevenFractionalDigitsKeepSubMillisecondPrecisionApproximately) {
  auto t = ParseTimestamp("2023-11-13T22:24:40.1234567");
  ASSERT_TRUE(t.has_value());
  auto diff = *t - At(2023, 11, 13, 22, 24, 40, 123ms);
  EXPECT_GE(diff, nanoseconds{0});
  EXPECT_LT(diff, milliseconds{1});
}

TEST(ParseTimestampTest, WholeSecondsZulu) {
  auto t = ParseTimestamp("2024-01-01T00:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, At(2024, 1, 1, 0, 0, 0));
}

TEST(ParseTimestampTest, NumericOffsetsAreApplied) {
  auto plus = ParseTimestamp("2023-11-14T00:24:40.477+02:00");
  ASSERT_TRUE(plus.has_value());
  EXPECT_EQ(*plus, At(2023, 11, 13, 22, 24, 40, 477ms));
  auto minus = ParseTimestamp("2023-11-13T17:24:40-05:00");
  ASSERT_TRUE(minus.has_value());
  EXPECT_EQ(*minus, At(2023, 11, 13, 22, 24, 40));
  auto zero = ParseTimestamp("2023-11-13T22:24:40+00:00");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(*zero, At(2023, 11, 13, 22, 24, 40));
}

class ParseTimestampJunkTest : public ::testing::TestWithParam<std::string> {};
TEST_P(ParseTimestampJunkTest, IsNullopt) {
  EXPECT_FALSE(ParseTimestamp(GetParam()).has_value()) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(Junk, ParseTimestampJunkTest,
                         ::testing::Values("", "junk", "2023-11-13", "22:24:40",
                                           "2023-13-01T00:00:00Z", "2023-11-32T00:00:00Z",
                                           "2023-11-13T25:00:00Z", "2023-11-13T22:61:00Z",
                                           "2023-11-13 22:24:40Z x", "2023-11-13T22:24:40.Z",
                                           "2023-11-13T22:24:40+2", "null", "2023-11-13T22:24:40ZZ",
                                           "99999999999"));

// --- Status / StatusOr ------------------------------------------------------------------

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.http_status(), 0);
  EXPECT_FALSE(s.service_error().has_value());
}

TEST(StatusTest, CodeNamesAreDistinctAndNonEmpty) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kOperationFailed), "OPERATION_FAILED");
  std::set<std::string> names;
  for (StatusCode c :
       {StatusCode::kOk, StatusCode::kCancelled, StatusCode::kDeadlineExceeded,
        StatusCode::kStopped, StatusCode::kInvalidArgument, StatusCode::kFailedPrecondition,
        StatusCode::kOperationFailed, StatusCode::kOperationCanceled, StatusCode::kHttpError,
        StatusCode::kUnavailable, StatusCode::kProtocolError, StatusCode::kInternal}) {
    std::string name = StatusCodeName(c);
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 12U);
}

TEST(StatusTest, ToStringNamesCodeMessageHttpStatusServiceCodeAndRequestId) {
  ServiceError error;
  error.code = "EntityNotFound";
  error.message = "The requested operation was not found";
  error.request_id = "0d4a6b2e-1111-2222-3333-444455556666";
  Status s(StatusCode::kHttpError, "poll failed");
  s.set_http_status(404).set_service_error(error);
  std::string text = s.ToString();
  EXPECT_NE(text.find(StatusCodeName(StatusCode::kHttpError)), std::string::npos) << text;
  EXPECT_NE(text.find("poll failed"), std::string::npos) << text;
  EXPECT_NE(text.find("404"), std::string::npos) << text;
  EXPECT_NE(text.find("EntityNotFound"), std::string::npos) << text;
  EXPECT_NE(text.find("0d4a6b2e-1111-2222-3333-444455556666"), std::string::npos) << text;
}

TEST(StatusTest, ToStringOfPlainError) {
  Status s(StatusCode::kProtocolError, "status is not a string");
  std::string text = s.ToString();
  EXPECT_NE(text.find(StatusCodeName(StatusCode::kProtocolError)), std::string::npos);
  EXPECT_NE(text.find("status is not a string"), std::string::npos);
}

TEST(StatusTest, PollingFailureFamily) {
  EXPECT_TRUE(Status(StatusCode::kHttpError, "").IsPollingFailure());
  EXPECT_TRUE(Status(StatusCode::kUnavailable, "").IsPollingFailure());
  EXPECT_TRUE(Status(StatusCode::kProtocolError, "").IsPollingFailure());
  EXPECT_FALSE(Status(StatusCode::kOperationFailed, "").IsPollingFailure());
  EXPECT_FALSE(Status(StatusCode::kOperationCanceled, "").IsPollingFailure());
  EXPECT_FALSE(Status().IsPollingFailure());
}

TEST(StatusOrTest, HoldsValueOrError) {
  StatusOr<int> v = 7;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  EXPECT_TRUE(v.status().ok());

  StatusOr<int> e = Status(StatusCode::kUnavailable, "down");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnavailable);
  EXPECT_THROW(static_cast<void>(e.value()), BadStatusOrAccess);
}

TEST(StatusOrTest, BuiltFromOkStatusIsInternalError) {
  StatusOr<int> e = Status();
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInternal);
}

// --- Result / ParseJson --------------------------------------------------------------------

struct JsonRow {
  std::string name;
  std::string content_type;
  std::string body;
  bool is_json;
};
void PrintTo(const JsonRow& row, std::ostream* os) { *os << row.name; }
class ResultIsJsonTest : public ::testing::TestWithParam<JsonRow> {};
TEST_P(ResultIsJsonTest, FollowsContentType) {
  Result r;
  r.has_value = true;
  r.content_type = GetParam().content_type;
  r.body = GetParam().body;
  EXPECT_EQ(r.IsJson(), GetParam().is_json);
}
INSTANTIATE_TEST_SUITE_P(
    ContentTypes, ResultIsJsonTest,
    ::testing::Values(JsonRow{"ApplicationJson", "application/json", "{}", true},
                      JsonRow{"WithCharset", "application/json; charset=utf-8", "{}", true},
                      JsonRow{"UpperCase", "Application/JSON", "{}", true},
                      JsonRow{"ProblemPlusJson", "application/problem+json", "{}", true},
                      JsonRow{"VendorPlusJson", "application/vnd.api+json", "{}", true},
                      JsonRow{"AbsentWithBody", "", "{\"a\":1}", true},
                      JsonRow{"AbsentEmptyBody", "", "", false},
                      JsonRow{"OctetStream", "application/octet-stream", "{}", false},
                      JsonRow{"TextPlain", "text/plain", "hello", false},
                      JsonRow{"Zip", "application/zip", "PK", false}),
    lro::test::ScenarioName());

TEST(ParseJsonTest, ParsesBody) {
  Result r{true, 200, "application/json", R"({"id":"item1","n":[1,2]})"};
  auto v = ParseJson(r);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, boost::json::parse(R"({"n":[1,2],"id":"item1"})"));
}

TEST(ParseJsonTest, NoResultIsFailedPrecondition) {
  Result r;
  EXPECT_EQ(ParseJson(r).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ParseJsonTest, NotJsonIsProtocolError) {
  Result r{true, 200, "application/json", "{not json"};
  EXPECT_EQ(ParseJson(r).status().code(), StatusCode::kProtocolError);
}

// --- Headers, Request ------------------------------------------------------------------

TEST(FindHeaderTest, CaseInsensitiveFirstMatch) {
  Headers h{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}, {"RETRY-AFTER", "5"}};
  EXPECT_EQ(FindHeader(h, "retry-after"), "5");
  EXPECT_EQ(FindHeader(h, "SET-COOKIE"), "a=1");
  EXPECT_FALSE(FindHeader(h, "Location").has_value());
  EXPECT_FALSE(FindHeader({}, "Location").has_value());
}

TEST(RequestTest, JsonAddsContentTypeOnce) {
  Request r = Request::Post("https://svc.example.com/jobs").Json(R"({"a":1})");
  EXPECT_EQ(r.http().method, "POST");
  EXPECT_EQ(r.http().url, "https://svc.example.com/jobs");
  EXPECT_EQ(r.http().body, R"({"a":1})");
  ASSERT_TRUE(FindHeader(r.http().headers, "content-type").has_value());
  EXPECT_EQ(*FindHeader(r.http().headers, "Content-Type"), "application/json");
  int count = 0;
  for (const auto& h : r.http().headers) count += (h.name == "Content-Type") ? 1 : 0;
  EXPECT_EQ(count, 1);
}

TEST(RequestTest, JsonKeepsCallerContentType) {
  Request r = Request::Put("https://svc.example.com/x")
                  .Header("Content-Type", "application/merge-patch+json")
                  .Json("{}");
  int count = 0;
  for (const auto& h : r.http().headers) {
    if (h.name == "Content-Type" || h.name == "content-type") ++count;
  }
  EXPECT_EQ(count, 1);
  EXPECT_EQ(*FindHeader(r.http().headers, "content-type"), "application/merge-patch+json");
}

TEST(RequestTest, Builders) {
  EXPECT_EQ(Request::Get("u").http().method, "GET");
  EXPECT_EQ(Request::Put("u").http().method, "PUT");
  EXPECT_EQ(Request::Patch("u").http().method, "PATCH");
  EXPECT_EQ(Request::Post("u").http().method, "POST");
  EXPECT_EQ(Request::Delete("u").http().method, "DELETE");
  Request r = Request::Post("u").Header("x-a", "1").Header("x-b", "2").Body("raw");
  ASSERT_EQ(r.http().headers.size(), 2U);
  EXPECT_EQ(r.http().headers[0], (Header{"x-a", "1"}));
  EXPECT_EQ(r.http().body, "raw");
  EXPECT_FALSE(FindHeader(r.http().headers, "Content-Type").has_value());
}

// --- Cancellation ------------------------------------------------------------------------

TEST(CancellationTest, DefaultTokenNeverFires) {
  CancellationToken t;
  EXPECT_FALSE(t.cancelled());
  bool called = false;
  auto reg = t.OnCancel([&] { called = true; });
  EXPECT_FALSE(called);
}

TEST(CancellationTest, SourceFiresCallbacksOnce) {
  CancellationSource source;
  CancellationToken t = source.token();
  int calls = 0;
  auto reg = t.OnCancel([&] { ++calls; });
  EXPECT_FALSE(t.cancelled());
  source.Cancel();
  source.Cancel();
  EXPECT_TRUE(t.cancelled());
  EXPECT_TRUE(source.cancelled());
  EXPECT_EQ(calls, 1);
}

TEST(CancellationTest, CallbackOnFiredTokenRunsAtOnce) {
  CancellationSource source;
  source.Cancel();
  bool called = false;
  auto reg = source.token().OnCancel([&] { called = true; });
  EXPECT_TRUE(called);
}

TEST(CancellationTest, DestroyedRegistrationIsNotCalled) {
  CancellationSource source;
  bool called = false;
  {
    auto reg = source.token().OnCancel([&] { called = true; });
  }
  source.Cancel();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace lro
