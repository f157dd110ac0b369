// SPEC §4: when the client polls — every Retry-After form on the real client, the floor, the
// clamp, and the client's own policy when the server gives no hint.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lro/poller.h"
#include "scenario.h"

namespace lro::test {
namespace {

const std::string kItems = std::string(kFabric) + "/v1/workspaces/ws1/items";
const std::string kOp = std::string(kFabric) + "/v1/operations/op1";

// A Fabric operation whose 202 carries `hints`, answered by one terminal poll: the only
// delay the client sleeps is the one before that poll.
Scenario FirstDelay(std::string name, Headers hints, milliseconds expected,
                    std::optional<PollingPolicy> polling = std::nullopt,
                    OperationOptions options = {}) {
  Headers headers{{"Location", kOp}, {"x-ms-operation-id", "op1"}};
  for (auto& h : hints) headers.push_back(std::move(h));
  return Scenario{.name = std::move(name),
                  .method = "POST",
                  .url = kItems,
                  .script = {Resp(202, std::move(headers)), Json(200, R"({"status":"Succeeded"})")},
                  .options = std::move(options),
                  .requests = {{"POST", kItems}, Get(kOp)},
                  .expect = {.has_value = false},
                  .sleeps = std::vector<milliseconds>{expected},
                  .polling = polling};
}

PollingPolicy WithFloor(milliseconds floor) {
  PollingPolicy p = TestPolling();
  p.floor = floor;
  return p;
}

PollingPolicy WithMaxServerDelay(milliseconds max) {
  PollingPolicy p = TestPolling();
  p.max_server_delay = max;
  return p;
}

class RetryAfterTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(RetryAfterTest, Runs) { RunAndCheck(GetParam()); }

std::vector<Scenario> Rows() {
  PollingPolicy exponential;
  exponential.initial = 100ms;
  exponential.multiplier = 2.0;
  exponential.max = 350ms;
  exponential.jitter = 0.0;
  PollingPolicy defaults;  // the library's defaults
  defaults.jitter = 0.0;

  std::vector<Scenario> rows{
      FirstDelay("Seconds5", {{"Retry-After", "5"}}, 5000ms),
      FirstDelay("Seconds0UsesFloor", {{"Retry-After", "0"}}, 20ms),
      FirstDelay("Seconds0UsesConfiguredFloor", {{"Retry-After", "0"}}, 50ms, WithFloor(50ms)),
      FirstDelay("SmallHintRaisedToFloor", {{"retry-after-ms", "5"}}, 20ms),
      FirstDelay("ImfFixdate", {{"Retry-After", "Mon, 01 Jan 2024 00:00:07 GMT"}}, 7000ms),
      FirstDelay("Rfc850Date", {{"Retry-After", "Monday, 01-Jan-24 00:00:09 GMT"}}, 9000ms),
      FirstDelay("AsctimeDate", {{"Retry-After", "Mon Jan  1 00:00:11 2024"}}, 11000ms),
      FirstDelay("DateInPastUsesFloor", {{"Retry-After", "Sun, 31 Dec 2023 23:59:00 GMT"}}, 20ms),
      FirstDelay("FractionIgnored", {{"Retry-After", "1.5"}}, 1000ms),
      FirstDelay("NegativeIgnored", {{"Retry-After", "-3"}}, 1000ms),
      FirstDelay("WordIgnored", {{"Retry-After", "abc"}}, 1000ms),
      FirstDelay("EmptyIgnored", {{"Retry-After", ""}}, 1000ms),
      FirstDelay("HugeClampedToMaxServerDelay", {{"Retry-After", "99999999999"}}, 60'000ms,
                 WithMaxServerDelay(60'000ms)),
      FirstDelay("HugeClampedToDefaultMaxServerDelay", {{"Retry-After", "99999999999"}},
                 3'600'000ms),
      FirstDelay("DateFarFutureClamped", {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}},
                 3'600'000ms),
      FirstDelay("DateAfterYear2262Clamped", {{"Retry-After", "Sat, 01 Jan 2300 00:00:00 GMT"}},
                 3'600'000ms),
      FirstDelay("RetryAfterMsPreferred", {{"Retry-After", "5"}, {"retry-after-ms", "250"}}, 250ms),
      FirstDelay("XMsRetryAfterMsPreferred", {{"Retry-After", "5"}, {"x-ms-retry-after-ms", "300"}},
                 300ms),
      FirstDelay("NoHintUsesPolicy", {}, 1000ms),
      FirstDelay("PerCallPollingPolicy", {}, 250ms, std::nullopt,
                 {.polling = PollingPolicy::Fixed(250ms)}),
  };

  rows.push_back(Scenario{
      .name = "EveryResponseHonoured",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "2"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "3"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                 Json(200, R"({"status":"Succeeded"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp), Get(kOp)},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{2000ms, 3000ms, 1000ms}});
  // The client's own backoff starts at its first poll without a hint: polls the server timed
  // do not advance it.
  rows.push_back(Scenario{
      .name = "BackoffStartsAtTheFirstAnswerWithoutAHint",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "2"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "3"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                 Json(200, R"({"status":"Succeeded"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp), Get(kOp), Get(kOp)},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{2000ms, 3000ms, 100ms, 200ms},
      .polling = exponential});
  rows.push_back(Scenario{
      .name = "TerminalAnswerRetryAfterDoesNotDelayResultGet",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "2"}}),
                 Json(200, R"({"status":"Succeeded"})",
                      {{"Location", kOp + "/result"}, {"Retry-After", "30"}}),
                 Json(200, R"({"id":"item1"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp + "/result")},
      .expect = {.json = R"({"id":"item1"})"},
      .sleeps = std::vector<milliseconds>{2000ms}});
  rows.push_back(Scenario{
      .name = "HttpDateRelativeToCurrentWallTime",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp},
                            {"x-ms-operation-id", "op1"},
                            {"Retry-After", "Mon, 01 Jan 2024 00:00:02 GMT"}}),
                 Json(200, R"({"status":"Running"})",
                      {{"Location", kOp}, {"Retry-After", "Mon, 01 Jan 2024 00:00:10 GMT"}}),
                 Json(200, R"({"status":"Succeeded"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp)},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{2000ms, 8000ms}});
  rows.push_back(Scenario{
      .name = "ZeroForeverCannotSpin",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Succeeded"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp), Get(kOp), Get(kOp)},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{20ms, 20ms, 20ms, 20ms}});
  rows.push_back(Scenario{
      .name = "FloorZeroAllowsImmediatePolls",
      .method = "POST",
      .url = kItems,
      .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Running"})", {{"Location", kOp}, {"Retry-After", "0"}}),
                 Json(200, R"({"status":"Succeeded"})")},
      .requests = {{"POST", kItems}, Get(kOp), Get(kOp)},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{},
      .polling = WithFloor(0ms)});
  rows.push_back(Scenario{.name = "ExponentialBackoffWithCap",
                          .method = "POST",
                          .url = kItems,
                          .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}}),
                                     Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                                     Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                                     Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                                     Json(200, R"({"status":"Succeeded"})")},
                          .requests = {{"POST", kItems}, Get(kOp), Get(kOp), Get(kOp), Get(kOp)},
                          .expect = {.has_value = false},
                          .sleeps = std::vector<milliseconds>{100ms, 200ms, 350ms, 350ms},
                          .polling = exponential});
  rows.push_back(Scenario{.name = "DefaultPolicyShapeWithoutJitter",
                          .method = "POST",
                          .url = kItems,
                          .script = {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}}),
                                     Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                                     Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                                     Json(200, R"({"status":"Succeeded"})")},
                          .requests = {{"POST", kItems}, Get(kOp), Get(kOp), Get(kOp)},
                          .expect = {.has_value = false},
                          .sleeps = std::vector<milliseconds>{1000ms, 1500ms, 2250ms},
                          .polling = defaults});
  rows.push_back(
      Scenario{.name = "OperationLocationModeHonoursRetryAfter",
               .method = "POST",
               .url = std::string(kSvc) + "/jobs",
               .script = {Resp(202, {{"Operation-Location", std::string(kSvc) + "/operations/op1"},
                                     {"Retry-After", "4"}}),
                          Json(200, R"({"status":"Running"})", {{"retry-after-ms", "1500"}}),
                          Json(200, R"({"status":"Succeeded","result":{}})")},
               .requests = {{"POST", std::string(kSvc) + "/jobs"},
                            Get(std::string(kSvc) + "/operations/op1"),
                            Get(std::string(kSvc) + "/operations/op1")},
               .expect = {.json = "{}"},
               .sleeps = std::vector<milliseconds>{4000ms, 1500ms}});
  rows.push_back(Scenario{
      .name = "ArmLocationModeHonoursRetryAfter",
      .method = "DELETE",
      .url = std::string(kSvc) + "/items/1",
      .script = {Resp(202, {{"Location", std::string(kSvc) + "/locs/l1"}, {"Retry-After", "6"}}),
                 Resp(202, {{"Retry-After", "2"}}), Resp(204)},
      .requests = {{"DELETE", std::string(kSvc) + "/items/1"},
                   Get(std::string(kSvc) + "/locs/l1"),
                   Get(std::string(kSvc) + "/locs/l1")},
      .expect = {.has_value = false},
      .sleeps = std::vector<milliseconds>{6000ms, 2000ms}});
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Spec4, RetryAfterTest, ::testing::ValuesIn(Rows()), ScenarioName());

// With jitter, delays vary within ±jitter of the nominal value, repeatably for one seed.
std::vector<milliseconds> JitteredSleeps(std::uint64_t seed) {
  auto transport = std::make_shared<lro::testing::ScriptedTransport>();
  auto clock = std::make_shared<lro::testing::FakeClock>();
  Enqueue(*transport, {Resp(202, {{"Location", kOp}, {"x-ms-operation-id", "op1"}}),
                       Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                       Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                       Json(200, R"({"status":"Running"})", {{"Location", kOp}}),
                       Json(200, R"({"status":"Succeeded"})")});
  ClientOptions options = MakeOptions(transport, clock);
  options.polling = PollingPolicy{};  // the defaults: 1 s × 1.5, jitter 0.2
  options.random_seed = seed;
  Client client(options);
  Poller p = client.Start(Request::Post(kItems));
  EXPECT_TRUE(p.Wait().ok());
  return clock->sleeps();
}

TEST(JitterTest, WithinBandAndRepeatableForASeed) {
  std::vector<milliseconds> a = JitteredSleeps(7);
  ASSERT_EQ(a.size(), 4U);
  double nominal = 1000;
  for (milliseconds d : a) {
    EXPECT_GE(static_cast<double>(d.count()), nominal * 0.8 - 1);
    EXPECT_LE(static_cast<double>(d.count()), nominal * 1.2 + 1);
    nominal *= 1.5;
  }
  EXPECT_EQ(JitteredSleeps(7), a);
}

}  // namespace
}  // namespace lro::test
