// SplitPlainUrl: the hand-read shape of an absolute http(s) URL, and agreement with Boost.URL
// (the full parser it stands in for) on every row.
#include "client/protocol/url_parts.h"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <string>

namespace lro::internal {
namespace {

struct PlainRow {
  std::string name;
  std::string url;
  bool plain;  // SplitPlainUrl reads it
  std::string host;
  std::string port;
  std::string path;
};
void PrintTo(const PlainRow& row, std::ostream* os) { *os << row.name; }

class SplitPlainUrlTest : public ::testing::TestWithParam<PlainRow> {};

TEST_P(SplitPlainUrlTest, ReadsThePlainShapeAsBoostUrlDoes) {
  const PlainRow& row = GetParam();
  const auto parts = SplitPlainUrl(row.url);
  ASSERT_EQ(parts.has_value(), row.plain);
  if (!parts) return;
  EXPECT_EQ(parts->host, row.host);
  EXPECT_EQ(parts->port, row.port);
  EXPECT_EQ(parts->has_port, !row.port.empty());
  EXPECT_EQ(parts->path, row.path);
  // What it reads, the full parser reads the same.
  const auto full = boost::urls::parse_uri(row.url);
  ASSERT_TRUE(full.has_value()) << row.url;
  EXPECT_EQ(parts->scheme, full->scheme());
  EXPECT_EQ(parts->authority, full->encoded_authority());
  EXPECT_EQ(parts->host, full->encoded_host());
  EXPECT_EQ(parts->port, full->port());
  EXPECT_EQ(parts->port_number, full->port_number());
  EXPECT_EQ(parts->path, full->encoded_path());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SplitPlainUrlTest,
    ::testing::Values(
        PlainRow{"HostOnly", "http://a", true, "a", "", ""},
        PlainRow{"Path", "https://a.example.com/b/c", true, "a.example.com", "", "/b/c"},
        PlainRow{"Port", "http://127.0.0.1:18090/ops/7", true, "127.0.0.1", "18090", "/ops/7"},
        PlainRow{"UpperCaseScheme", "HTTPS://A.Example.COM/x", true, "A.Example.COM", "", "/x"},
        PlainRow{"QueryAndFragment", "https://a/b?api-version=1&x=%2F#frag?/", true, "a", "", "/b"},
        PlainRow{"QueryWithoutPath", "https://a?x=1", true, "a", "", ""},
        PlainRow{"SubDelimsInPath", "https://a/b;p=1,2!$'()*+@:/c", true, "a", "",
                 "/b;p=1,2!$'()*+@:/c"},
        PlainRow{"MaxPort", "http://a:65535/", true, "a", "65535", "/"},
        PlainRow{"PortWithLeadingZero", "http://a:080/", true, "a", "080", "/"},
        PlainRow{"Ipv4", "http://255.255.255.255/x", true, "255.255.255.255", "", "/x"},
        PlainRow{"Ipv4WithPort", "http://1.2.3.4:5/x", true, "1.2.3.4", "5", "/x"},
        // Not this shape: left to the full parser.
        PlainRow{"OtherScheme", "ftp://a/b", false, "", "", ""},
        PlainRow{"NoSlashes", "https:a/b", false, "", "", ""},
        PlainRow{"EmptyHost", "https:///b", false, "", "", ""},
        PlainRow{"UserInfo", "https://user:pw@a/b", false, "", "", ""},
        PlainRow{"Ipv6", "https://[::1]:8080/b", false, "", "", ""},
        PlainRow{"EmptyPort", "https://a:/b", false, "", "", ""},
        PlainRow{"PortTooLarge", "https://a:65536/b", false, "", "", ""},
        PlainRow{"PortTooLong", "https://a:000001/b", false, "", "", ""},
        PlainRow{"EscapedHost", "https://a%2Eb/c", false, "", "", ""},
        PlainRow{"SpaceInPath", "https://a/b c", false, "", "", ""},
        PlainRow{"BadEscape", "https://a/b%2", false, "", "", ""},
        PlainRow{"BadEscapeDigits", "https://a/b%zz", false, "", "", ""},
        PlainRow{"TwoFragments", "https://a/b#c#d", false, "", "", ""},
        PlainRow{"Backslash", "https://a\\b", false, "", "", ""},
        PlainRow{"Relative", "/ops/1", false, "", "", ""},
        // Boost.URL reads an IPv4 prefix as the host and the rest as the path: a host led by a
        // digit that is not exactly an IPv4 address is the full parser's.
        PlainRow{"Ipv4PrefixThenDots", "http://127.0.0.0..1:18090/o7", false, "", "", ""},
        PlainRow{"Ipv4PrefixThenLetter", "http://1.2.3.4a/x", false, "", "", ""},
        PlainRow{"FiveNumbers", "http://1.2.3.4.5/x", false, "", "", ""},
        PlainRow{"Ipv4LeadingZero", "http://1.2.3.04/x", false, "", "", ""},
        PlainRow{"DigitLedName", "http://1a.example/x", false, "", "", ""}));

}  // namespace
}  // namespace lro::internal
