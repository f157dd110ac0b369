// The wire vocabulary client and lrod share (src/wire), tested directly: one table per word.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lro/operation_state.h"
#include "wire/ascii.h"
#include "wire/credential_headers.h"
#include "wire/duration.h"
#include "wire/http_date.h"
#include "wire/media_type.h"
#include "wire/preferences.h"
#include "wire/service_error_parse.h"
#include "wire/status_names.h"
#include "wire/uuid.h"

namespace lro::wire {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)

constexpr sys_seconds kRfcExample = sys_days{1994y / November / 6} + 8h + 49min + 37s;

TEST(ImfFixdateTest, FormatsEveryWeekdayAndMonth) {
  struct Row {
    sys_seconds when;
    const char* expected;
  };
  for (const Row& row : std::vector<Row>{
           {kRfcExample, "Sun, 06 Nov 1994 08:49:37 GMT"},
           {sys_days{1970y / January / 1}, "Thu, 01 Jan 1970 00:00:00 GMT"},
           {sys_days{2024y / February / 29} + 23h + 59min + 59s, "Thu, 29 Feb 2024 23:59:59 GMT"},
           {sys_days{1969y / December / 31} + 12h, "Wed, 31 Dec 1969 12:00:00 GMT"},
           {sys_days{2026y / December / 5}, "Sat, 05 Dec 2026 00:00:00 GMT"},
       }) {
    EXPECT_EQ(ImfFixdate(system_clock::time_point(row.when)), row.expected);
  }
  // Sub-second parts are dropped, never rounded up.
  EXPECT_EQ(ImfFixdate(system_clock::time_point(kRfcExample) + 999ms),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(ImfFixdateTest, ParsesWhatItFormats) {
  const auto now = floor<seconds>(system_clock::now());
  EXPECT_EQ(ParseImfFixdate(ImfFixdate(now)), now);
  EXPECT_EQ(ParseHttpDate(ImfFixdate(now)), now);
}

TEST(ParseImfFixdateTest, OnlyTheImfForm) {
  struct Row {
    const char* text;
    std::optional<sys_seconds> expected;
  };
  for (const Row& row : std::vector<Row>{
           {"Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample},
           {"Sunday, 06-Nov-94 08:49:37 GMT", std::nullopt},  // RFC 850: ParseHttpDate only
           {"Sun Nov  6 08:49:37 1994", std::nullopt},        // asctime: ParseHttpDate only
           {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},
           {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
           {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
           {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
           {" Sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},
           {"", std::nullopt},
       }) {
    EXPECT_EQ(ParseImfFixdate(row.text), row.expected) << row.text;
  }
  EXPECT_EQ(ParseHttpDateSeconds("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(ParseHttpDateSeconds("Sun Nov  6 08:49:37 1994"), kRfcExample);
}

TEST(ParseDurationTest, UnitsAndRejections) {
  struct Row {
    const char* text;
    std::optional<milliseconds> expected;
  };
  for (const Row& row : std::vector<Row>{
           {"250ms", 250ms},
           {"30s", 30s},
           {"30", 30s},
           {"5m", 5min},
           {"24h", 24h},
           {"7d", 7 * 24h},
           {"0", 0ms},
           {"999999999999999ms", milliseconds(999'999'999'999'999)},
           {"1000000000000000", std::nullopt},  // 16 digits
           {"1.5s", std::nullopt},
           {"h", std::nullopt},
           {"-3s", std::nullopt},
           {"5 s", std::nullopt},
           {"5S", std::nullopt},
           {"", std::nullopt},
       }) {
    EXPECT_EQ(ParseDuration(row.text), row.expected) << row.text;
  }
}

TEST(UuidTest, VersionAndVariantBitsOverAnyBytes) {
  struct Row {
    UuidBytes bytes;
    const char* expected;
  };
  UuidBytes ones{};
  ones.fill(0xFF);
  for (const Row& row : std::vector<Row>{
           {UuidBytes{}, "00000000-0000-4000-8000-000000000000"},
           {ones, "ffffffff-ffff-4fff-bfff-ffffffffffff"},
           {UuidBytes{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a,
                      0xbc, 0xde, 0xf0},
            "12345678-9abc-4ef0-9234-56789abcdef0"},
       }) {
    EXPECT_EQ(UuidV4(row.bytes), row.expected);
    EXPECT_TRUE(IsCanonicalUuid(UuidV4(row.bytes)));
  }
}

TEST(UuidTest, RandomIdsAreCanonicalAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = RandomUuid();
    EXPECT_TRUE(IsCanonicalUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
  for (const char* text :
       {"not-a-uuid", "72522613-0B0E-4EA0-8CE0-B1A9735C8847", "72522613-0b0e-4ea0-8ce0-b1a9735c884",
        "72522613x0b0e-4ea0-8ce0-b1a9735c8847"}) {
    EXPECT_FALSE(IsCanonicalUuid(text)) << text;
  }
}

TEST(MediaTypeTest, OneRuleForJson) {
  struct Row {
    const char* content_type;
    bool json;
  };
  for (const Row& row : std::vector<Row>{
           {"application/json", true},
           {"application/json; charset=utf-8", true},
           {"Application/JSON", true},
           {"text/json", true},
           {"TEXT/JSON;charset=utf-8", true},
           {"application/problem+json", true},
           {"application/vnd.api+JSON", true},
           {" application/json ", true},
           {"text/plain", false},
           {"application/octet-stream", false},
           {"application/jsonx", false},
           {"+json", false},
           {"", false},
       }) {
    EXPECT_EQ(IsJsonMediaType(row.content_type), row.json) << row.content_type;
  }
}

TEST(PreferencesTest, FindsOnePreferenceOfAList) {
  struct Row {
    const char* header;
    std::optional<std::string_view> wait;
  };
  for (const Row& row : std::vector<Row>{
           {"wait=10", "10"},
           {"respond-async, wait=10", "10"},
           {" Wait = 10 ;foo=bar , return=minimal", "10"},
           {"wait=\"30\"", "30"},
           {"wait", ""},
           {"wait=abc", "abc"},
           {"wait=1, wait=2", "1"},
           {"return=minimal", std::nullopt},
           {"waiting=5", std::nullopt},
           {"respond-async; wait=5", std::nullopt},  // a parameter of respond-async
           {"", std::nullopt},
       }) {
    EXPECT_EQ(FindPreference(row.header, "wait"), row.wait) << row.header;
  }
}

TEST(CredentialHeadersTest, TheUnionOfClientAndServer) {
  for (const char* name : {"Authorization", "proxy-authorization", "Cookie", "api-key", "X-API-Key",
                           "Ocp-Apim-Subscription-Key", "x-functions-key"}) {
    EXPECT_TRUE(IsCredentialHeader(name)) << name;
  }
  for (const char* name :
       {"Content-Type", "x-ms-client-request-id", "Set-Cookie", "Authorization2", "", "api"}) {
    EXPECT_FALSE(IsCredentialHeader(name)) << name;
  }
}

TEST(AsciiTest, CaseInsensitiveCompareIsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-TYPE", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("content-type", "content-typ"));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x89", "\xC3\xA9"));  // É and é: not ASCII, not folded
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));                // 0x5B vs 0x7B differ by 32 too
  EXPECT_TRUE(EqualsAnyIgnoreCase("PUT", {"get", "put"}));
  EXPECT_FALSE(EqualsAnyIgnoreCase("post", {"get", "put"}));
  EXPECT_EQ(AsciiLower("X-Ms-Operation-ID"), "x-ms-operation-id");
}

TEST(StatusNamesTest, ServerNamesAreTheClientsKnownNames) {
  for (const char* name :
       {kStatusNotStarted, kStatusRunning, kStatusSucceeded, kStatusFailed, kStatusCanceled}) {
    EXPECT_TRUE(ClassifyStatus(name).known) << name;
  }
  EXPECT_STREQ(StatusKindName(StatusKind::kSucceeded), kStatusSucceeded);
  EXPECT_STREQ(StatusKindName(StatusKind::kCanceled), kStatusCanceled);
  EXPECT_EQ(ClassifyStatus("canceled").kind, StatusKind::kCanceled);
}

TEST(ServiceErrorTest, ReadsBothShapesFromText) {
  struct Row {
    const char* name;
    const char* json;
    std::optional<ServiceError> expected;
  };
  ServiceError fabric;
  fabric.code = "ItemNotFound";
  fabric.message = "no such item";
  fabric.is_retriable = false;
  ServiceError detail;
  detail.code = "Sub";
  detail.message = "about r";
  detail.related_resource = RelatedResource{"r1", "Lakehouse"};
  fabric.details.push_back(detail);
  ServiceError azure;
  azure.code = "Conflict";
  azure.message = "busy";
  azure.target = "name";
  for (const Row& row : std::vector<Row>{
           {"Fabric",
            R"({"errorCode":"ItemNotFound","message":"no such item","isRetriable":false,)"
            R"("moreDetails":[{"errorCode":"Sub","message":"about r",)"
            R"("relatedResource":{"resourceId":"r1","resourceType":"Lakehouse"}}]})",
            fabric},
           {"Azure", R"({"code":"Conflict","message":"busy","target":"name"})", azure},
           {"NoCodeNorMessage", R"({"isRetriable":true})", std::nullopt},
           {"NotAnObject", R"(["errorCode"])", std::nullopt},
           {"NotJson", R"({"errorCode":"X")", std::nullopt},
           {"Empty", "", std::nullopt},
       }) {
    EXPECT_EQ(ParseErrorJson(row.json), row.expected) << row.name;
  }
}

}  // namespace
}  // namespace lro::wire
