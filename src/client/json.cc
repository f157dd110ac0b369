#include "lro/json.h"

#include <boost/json/parse.hpp>
#include <string>

#include "client/ascii.h"
#include "lro/result.h"

namespace lro {

bool Result::IsJson() const {
  if (content_type.empty()) return !body.empty();
  std::string type;
  for (char c : content_type) {
    if (c == ';') break;
    if (c != ' ' && c != '\t') type += internal::AsciiLower(c);
  }
  return type == "application/json" || type == "text/json" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

StatusOr<boost::json::value> ParseJson(const Result& result) {
  if (!result.has_value) {
    return Status(StatusCode::kFailedPrecondition, "the operation has no result");
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(result.body, ec);
  if (ec) {
    return Status(StatusCode::kProtocolError, "result is not JSON: " + ec.message());
  }
  return value;
}

}  // namespace lro
