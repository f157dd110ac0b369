// URL handling (SPEC §1 resolution, §3 api-version, §8 credential scope), tested directly.
#include "client/protocol/url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.h"

namespace lro::internal {
namespace {

// RFC 3986 §5.4 reference resolution examples, on an https base.
struct ResolveRow {
  std::string name;
  std::string reference;
  std::string expected;
};
void PrintTo(const ResolveRow& row, std::ostream* os) { *os << row.name; }

constexpr char kBase[] = "https://a.example.com/b/c/d;p?q";

class ResolveUrlTest : public ::testing::TestWithParam<ResolveRow> {};
TEST_P(ResolveUrlTest, ResolvesPerRfc3986) {
  auto got = ResolveUrl(kBase, GetParam().reference);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(
    Rfc3986, ResolveUrlTest,
    ::testing::Values(
        ResolveRow{"Segment", "g", "https://a.example.com/b/c/g"},
        ResolveRow{"DotSegment", "./g", "https://a.example.com/b/c/g"},
        ResolveRow{"TrailingSlash", "g/", "https://a.example.com/b/c/g/"},
        ResolveRow{"AbsolutePath", "/g", "https://a.example.com/g"},
        ResolveRow{"NetworkPath", "//g.example.com/x", "https://g.example.com/x"},
        ResolveRow{"QueryOnly", "?y", "https://a.example.com/b/c/d;p?y"},
        ResolveRow{"SegmentQuery", "g?y", "https://a.example.com/b/c/g?y"},
        ResolveRow{"Params", ";x", "https://a.example.com/b/c/;x"},
        ResolveRow{"Dot", ".", "https://a.example.com/b/c/"},
        ResolveRow{"DotDot", "..", "https://a.example.com/b/"},
        ResolveRow{"DotDotG", "../g", "https://a.example.com/b/g"},
        ResolveRow{"DotDotTwice", "../..", "https://a.example.com/"},
        ResolveRow{"DotDotTwiceG", "../../g", "https://a.example.com/g"},
        ResolveRow{"AboveRoot", "../../../g", "https://a.example.com/g"},
        ResolveRow{"AbsoluteDot", "/./g", "https://a.example.com/g"},
        ResolveRow{"AbsoluteOtherHost",
                   "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/1",
                   "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/1"},
        ResolveRow{"AbsoluteHttp", "http://b.example.com/x", "http://b.example.com/x"},
        // Absolute links that still need work: normalized exactly as a relative one would be.
        ResolveRow{"AbsoluteUpperCaseHost", "https://B.Example.COM/x", "https://b.example.com/x"},
        ResolveRow{"AbsoluteUpperCaseScheme", "HTTPS://b.example.com/x", "https://b.example.com/x"},
        ResolveRow{"AbsoluteDotSegments", "https://b.example.com/a/./b/../c",
                   "https://b.example.com/a/c"},
        ResolveRow{"AbsoluteAboveRoot", "https://b.example.com/../x", "https://b.example.com/x"},
        ResolveRow{"AbsoluteDotLikeNames", "https://b.example.com/.well-known/..x/x.",
                   "https://b.example.com/.well-known/..x/x."},
        ResolveRow{"AbsoluteWithPortQueryFragment", "https://b.example.com:8443/x?a=1#f",
                   "https://b.example.com:8443/x?a=1#f"},
        ResolveRow{"OperationsPath", "/v1/operations/abc?api-version=2",
                   "https://a.example.com/v1/operations/abc?api-version=2"}),
    lro::test::ScenarioName());

TEST(ResolveUrlTest, RejectsNonHttpResults) {
  EXPECT_EQ(ResolveUrl(kBase, "ftp://files.example.com/x").status().code(),
            StatusCode::kProtocolError);
  EXPECT_EQ(ResolveUrl(kBase, "javascript:alert(1)").status().code(), StatusCode::kProtocolError);
  EXPECT_EQ(ResolveUrl(kBase, "file:///etc/passwd").status().code(), StatusCode::kProtocolError);
}

TEST(ResolveUrlTest, RejectsMalformedInput) {
  EXPECT_FALSE(ResolveUrl("not a url", "g").ok());
  EXPECT_FALSE(ResolveUrl(kBase, "http://[::1").ok());
  EXPECT_FALSE(ResolveUrl(kBase, "https://exa mple.com/").ok());
}

TEST(ValidateAbsoluteUrlTest, HttpAndHttpsOnly) {
  EXPECT_TRUE(ValidateAbsoluteUrl("https://svc.example.com/a?b=c").ok());
  EXPECT_TRUE(ValidateAbsoluteUrl("http://127.0.0.1:8080/").ok());
  EXPECT_EQ(ValidateAbsoluteUrl("/relative").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAbsoluteUrl("ftp://x.example.com/").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAbsoluteUrl("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAbsoluteUrl("not a url").code(), StatusCode::kInvalidArgument);
}

TEST(OriginTest, LowercasesAndDropsDefaultPort) {
  EXPECT_EQ(Origin("HTTPS://Svc.Example.COM:443/a?b=c"), "https://svc.example.com");
  EXPECT_EQ(Origin("http://x.example.com:80/"), "http://x.example.com");
  EXPECT_EQ(Origin("https://x.example.com:8443/a"), "https://x.example.com:8443");
  EXPECT_EQ(Origin("http://x.example.com:443/"), "http://x.example.com:443");
  EXPECT_EQ(Origin("not a url"), "");
}

TEST(HostSchemeTest, Lowercase) {
  EXPECT_EQ(Host("https://Svc.Example.com:8443/a"), "svc.example.com");
  EXPECT_EQ(Scheme("HTTPS://svc.example.com/"), "https");
  EXPECT_EQ(Host("not a url"), "");
  EXPECT_EQ(Scheme("not a url"), "");
}

TEST(QueryParameterTest, FindsAndDecodes) {
  const char* url = "https://x.example.com/a?api-version=2024-01-01&b=c%20d&e=";
  EXPECT_EQ(QueryParameter(url, "api-version"), "2024-01-01");
  EXPECT_EQ(QueryParameter(url, "b"), "c d");
  EXPECT_EQ(QueryParameter(url, "e"), "");
  EXPECT_FALSE(QueryParameter(url, "missing").has_value());
  EXPECT_FALSE(QueryParameter("https://x.example.com/a", "api-version").has_value());
}

TEST(WithQueryParameterIfAbsentTest, AddsOnlyWhenMissing) {
  EXPECT_EQ(WithQueryParameterIfAbsent("https://x.example.com/a", "api-version", "v1"),
            "https://x.example.com/a?api-version=v1");
  EXPECT_EQ(WithQueryParameterIfAbsent("https://x.example.com/a?b=1", "api-version", "v1"),
            "https://x.example.com/a?b=1&api-version=v1");
  EXPECT_EQ(
      WithQueryParameterIfAbsent("https://x.example.com/a?api-version=v0", "api-version", "v1"),
      "https://x.example.com/a?api-version=v0");
  EXPECT_EQ(WithQueryParameterIfAbsent("https://x.example.com/a?b=1&api-version=v0&c=2",
                                       "api-version", "v1"),
            "https://x.example.com/a?b=1&api-version=v0&c=2");
}

// Boost.URL 1.81 reads past an empty query into the fragment ("…?#x") and crashes in
// params().find(), contains() and iteration. Every URL shape with an empty query, a fragment or
// both goes through each query-parameter function here; none may crash, and the fragment never
// counts as a query parameter.
TEST(QueryParametersTest, EmptyQueryFollowedByAFragment) {
  for (const char* url : {"https://api.test/v1/items?#pi-ve+rsion=1", "https://a/b?#api-version",
                          "https://a/b?#x", "https://a/b?#", "https://a/b?", "https://a/b#",
                          "https://a/b#api-version=1", "https://a/b?&#api-version=1", "/b?#x"}) {
    SCOPED_TRACE(url);
    EXPECT_FALSE(QueryParameter(url, "api-version").has_value());
    EXPECT_FALSE(QueryParameter(url, "pi-ve rsion").has_value());
    const std::string with = WithQueryParameterIfAbsent(url, "api-version", "v1");
    EXPECT_NE(with.find("api-version=v1"), std::string::npos) << with;
    EXPECT_EQ(QueryParameter(with, "api-version"), "v1") << with;
    (void)RedactUrl(url);
  }
  EXPECT_EQ(WithQueryParameterIfAbsent("https://a/b?#frag", "api-version", "v1"),
            "https://a/b?api-version=v1#frag");
  EXPECT_EQ(QueryParameter("https://a/b?api-version=v2#api-version=v3", "api-version"), "v2");
  EXPECT_EQ(RedactUrl("https://a/b?sig=S#access_token=T"), "https://a/b?sig=REDACTED");
}

struct CredRow {
  std::string name;
  std::string initial;
  std::string target;
  std::vector<std::string> allowed;
  bool expected;
};
void PrintTo(const CredRow& row, std::ostream* os) { *os << row.name; }
class MayReceiveCredentialsTest : public ::testing::TestWithParam<CredRow> {};
TEST_P(MayReceiveCredentialsTest, Spec8) {
  const CredRow& r = GetParam();
  EXPECT_EQ(MayReceiveCredentials(r.initial, r.target, r.allowed), r.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Spec8, MayReceiveCredentialsTest,
    ::testing::Values(
        CredRow{
            "SameOrigin", "https://api.example.com/a", "https://api.example.com/ops/1", {}, true},
        CredRow{"SameOriginCaseAndDefaultPort",
                "https://api.example.com/a",
                "https://API.Example.com:443/ops/1",
                {},
                true},
        CredRow{
            "OtherHost", "https://api.example.com/a", "https://other.example.net/ops/1", {}, false},
        CredRow{"OtherPort",
                "https://api.example.com/a",
                "https://api.example.com:8443/ops",
                {},
                false},
        CredRow{
            "Downgrade", "https://api.example.com/a", "http://api.example.com/ops/1", {}, false},
        CredRow{"WildcardMatch",
                "https://api.example.com/a",
                "https://west.example.net/ops",
                {"*.example.net"},
                true},
        CredRow{"WildcardDoesNotMatchApex",
                "https://api.example.com/a",
                "https://example.net/ops",
                {"*.example.net"},
                false},
        CredRow{"WildcardSuffixTrick",
                "https://api.example.com/a",
                "https://evilexample.net/ops",
                {"*.example.net"},
                false},
        CredRow{"WildcardEmbedded",
                "https://api.example.com/a",
                "https://example.net.evil.com/ops",
                {"*.example.net"},
                false},
        CredRow{"WildcardCaseInsensitive",
                "https://api.example.com/a",
                "https://WEST.Example.NET/ops",
                {"*.example.net"},
                true},
        CredRow{"ExactMatch",
                "https://api.example.com/a",
                "https://login.example.org/x",
                {"login.example.org"},
                true},
        CredRow{"ExactIsNotWildcard",
                "https://api.example.com/a",
                "https://a.login.example.org/x",
                {"login.example.org"},
                false},
        CredRow{"AllowedHostButHttp",
                "https://api.example.com/a",
                "http://west.example.net/ops",
                {"*.example.net"},
                false},
        CredRow{"HttpToHttpSameOrigin",
                "http://localhost:8080/a",
                "http://localhost:8080/ops",
                {},
                true},
        CredRow{"Fabric",
                "https://api.fabric.microsoft.com/v1/workspaces/w/items",
                "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/1",
                {"*.analysis.windows.net"},
                true}),
    lro::test::ScenarioName());

TEST(AppendToPathTest, BeforeQuery) {
  EXPECT_EQ(AppendToPath("https://x.example.com/operations/1", ":cancel"),
            "https://x.example.com/operations/1:cancel");
  EXPECT_EQ(AppendToPath("https://x.example.com/operations/1?api-version=v1", ":cancel"),
            "https://x.example.com/operations/1:cancel?api-version=v1");
}

TEST(RedactUrlTest, HidesQueryValuesButApiVersion) {
  std::string r = RedactUrl("https://x.example.com/a?sig=SECRETSIG&api-version=v1&se=2024");
  EXPECT_EQ(r.find("SECRETSIG"), std::string::npos) << r;
  EXPECT_NE(r.find("api-version=v1"), std::string::npos) << r;
  EXPECT_NE(r.find("REDACTED"), std::string::npos) << r;
  EXPECT_NE(r.find("x.example.com/a"), std::string::npos) << r;
}

TEST(RedactUrlTest, CapsLength) {
  std::string longurl = "https://x.example.com/" + std::string(100'000, 'a');
  EXPECT_LT(RedactUrl(longurl).size(), 10'000U);
}

}  // namespace
}  // namespace lro::internal
