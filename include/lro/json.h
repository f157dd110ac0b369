// Parsing a result as JSON. Kept apart from result.h so that code that never parses JSON
// does not pay for Boost.JSON's headers.
#pragma once

#include <boost/json/value.hpp>

#include "lro/result.h"
#include "lro/status.h"

namespace lro {

// Parses result.body. kFailedPrecondition when there is no result, kProtocolError when the
// body is not JSON.
StatusOr<boost::json::value> ParseJson(const Result& result);

}  // namespace lro
