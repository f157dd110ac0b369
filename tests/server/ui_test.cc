// lrod's operations page (/ui) over real HTTP: its files are built in, sent with a strict
// Content-Security-Policy, reference nothing outside lrod, and hold no data (so no token is
// needed to load them, while the API they call still wants one). tests/ui drives the page in
// headless Chromium.
#include <gtest/gtest.h>

#include <string>

#include "server_test_support.h"

namespace lro::server::test {
namespace {

TEST(OperationsPage, IsServedWithAStrictContentSecurityPolicy) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  for (const auto& [path, type] :
       {std::pair{"/ui", "text/html; charset=utf-8"}, std::pair{"/ui/", "text/html; charset=utf-8"},
        std::pair{"/ui/app.js", "text/javascript; charset=utf-8"},
        std::pair{"/ui/app.css", "text/css; charset=utf-8"}}) {
    auto page = h.Send("GET", path);
    ASSERT_EQ(page.status, 200) << path;
    EXPECT_EQ(Header(page, "Content-Type"), type) << path;
    const std::string csp = Header(page, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(Header(page, "X-Content-Type-Options"), "nosniff");
    // Nothing from elsewhere: no absolute URL, no inline script or handler.
    EXPECT_EQ(page.body.find("http://"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("https://"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("innerHTML"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("onclick="), std::string::npos) << path;
  }
  EXPECT_NE(h.Send("GET", "/ui").body.find("<script src=\"/ui/app.js\" defer></script>"),
            std::string::npos);
}

TEST(OperationsPage, UnknownFilesAre404AndOtherMethods405) {
  TempDir dir;
  Harness h(Options(dir, std::chrono::milliseconds(0)));
  EXPECT_EQ(h.Send("GET", "/ui/nothing.js").status, 404);
  EXPECT_EQ(h.Send("POST", "/ui", "{}").status, 405);
}

TEST(OperationsPage, LoadsWithoutATokenWhileTheApiWantsOne) {
  TempDir dir;
  ServerOptions options = Options(dir, std::chrono::milliseconds(0));
  options.bearer_tokens = {{"token-a", "alice"}};
  Harness h(options);
  EXPECT_EQ(h.Send("GET", "/ui").status, 200);
  EXPECT_EQ(h.Send("GET", "/ui/app.js").status, 200);
  EXPECT_EQ(h.Send("GET", "/v1/operations").status, 401);
}

}  // namespace
}  // namespace lro::server::test
