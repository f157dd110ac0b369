// Result::As<T>() and lro::As<T>(outcome): a result read as the caller's type through
// boost::json::value_to; every way it cannot be is an error status naming why, never a throw.
#include <gtest/gtest.h>

#include <boost/json/value_to.hpp>
#include <string>
#include <vector>

#include "lro/json.h"
#include "lro/poller.h"
#include "scenario.h"

namespace widgets {

struct Widget {
  std::string name;
  int size = 0;
};

// The one function a user writes for their type.
Widget tag_invoke(boost::json::value_to_tag<Widget> /*tag*/, const boost::json::value& value) {
  const auto& object = value.as_object();
  return Widget{boost::json::value_to<std::string>(object.at("name")),
                boost::json::value_to<int>(object.at("size"))};
}

}  // namespace widgets

namespace lro::test {
namespace {

using widgets::Widget;

Result JsonBody(std::string body) { return Result{true, 200, "application/json", std::move(body)}; }

TEST(TypedResultTest, ReadsTheCallersType) {
  const auto widget = JsonBody(R"({"name":"w","size":3,"extra":true})").As<Widget>();
  ASSERT_TRUE(widget.ok()) << widget.status().ToString();
  EXPECT_EQ(widget->name, "w");
  EXPECT_EQ(widget->size, 3);
}

TEST(TypedResultTest, LibraryTypesNeedNoTagInvoke) {
  const auto numbers = JsonBody("[1,2,3]").As<std::vector<int>>();
  ASSERT_TRUE(numbers.ok()) << numbers.status().ToString();
  EXPECT_EQ(*numbers, (std::vector<int>{1, 2, 3}));
}

TEST(TypedResultTest, ABodyThatIsNotJsonIsAnError) {
  const auto widget = JsonBody(R"({"name":"w",)").As<Widget>();
  ASSERT_FALSE(widget.ok());
  EXPECT_EQ(widget.status().code(), StatusCode::kProtocolError);
  EXPECT_NE(widget.status().message().find("not JSON"), std::string::npos)
      << widget.status().ToString();
}

TEST(TypedResultTest, JsonThatDoesNotFitIsAnErrorNotAThrow) {
  for (const char* body : {R"({"name":"w"})", R"({"name":"w","size":"big"})", "[]", "42"}) {
    SCOPED_TRACE(body);
    StatusOr<Widget> widget = Status(StatusCode::kInternal, "unset");
    EXPECT_NO_THROW(widget = JsonBody(body).As<Widget>());
    ASSERT_FALSE(widget.ok());
    EXPECT_EQ(widget.status().code(), StatusCode::kProtocolError);
    EXPECT_NE(widget.status().message().find("does not fit"), std::string::npos)
        << widget.status().ToString();
  }
  const auto numbers = JsonBody(R"(["a"])").As<std::vector<int>>();
  EXPECT_EQ(numbers.status().code(), StatusCode::kProtocolError);
}

TEST(TypedResultTest, NoResultIsFailedPrecondition) {
  const auto widget = Result{false, 204, {}, {}}.As<Widget>();
  EXPECT_EQ(widget.status().code(), StatusCode::kFailedPrecondition);
}

TEST(TypedResultTest, FromAnOutcomeAnErrorStaysThatError) {
  const StatusOr<Result> failed = Status(StatusCode::kOperationFailed, "boom");
  EXPECT_EQ(As<Widget>(failed).status().code(), StatusCode::kOperationFailed);
  EXPECT_EQ(As<Widget>(failed).status().message(), "boom");
}

TEST(TypedResultTest, FromAWait) {
  Harness h({Json(201, R"({"name":"w","size":9})")});
  const auto widget =
      As<Widget>(h.client.Start(Request::Put(std::string(kSvc) + "/w").Json("{}")).Wait());
  ASSERT_TRUE(widget.ok()) << widget.status().ToString();
  EXPECT_EQ(widget->size, 9);
}

}  // namespace
}  // namespace lro::test
