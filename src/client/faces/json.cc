#include "lro/json.h"

#include <boost/json/parse.hpp>
#include <string>

#include "lro/result.h"
#include "wire/media_type.h"

namespace lro {

bool Result::IsJson() const {
  if (content_type.empty()) return !body.empty();
  return wire::IsJsonMediaType(content_type);
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
