// How `lro` words things: error lines, states, times; and their JSON forms.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "lro/operation_state.h"
#include "lro/result.h"
#include "lro/status.h"

namespace lro::cli {

// One line naming the cause, without the "lro: " prefix, e.g.
// "operation failed: ItemNameInUse: the name is taken (HTTP 400, request id 5b1…)".
[[nodiscard]] std::string DescribeError(const Status& status);

// More about an error, one line each, for -v: the library's message, target, details (Fabric
// moreDetails / Azure details), inner error, whether the service says retrying helps.
[[nodiscard]] std::vector<std::string> ErrorDetails(const Status& status);

// {"code":"OPERATION_FAILED","message":…,"httpStatus":400,"serviceError":{…}}.
[[nodiscard]] boost::json::object ErrorToJson(const Status& status);

// {"status":"Running","kind":"Running","known":true,"done":false,"percentComplete":45,
//  "createdTimeUtc":…,"lastUpdatedTimeUtc":…,"error":{…}}; absent fields are left out.
[[nodiscard]] boost::json::object StateToJson(const OperationState& state);

// {"httpStatus":200,"contentType":"application/json","bytes":123}, or null without a result.
[[nodiscard]] boost::json::value ResultSummaryToJson(const Result& result);

// The status as the service said it; the kind's name when it said nothing.
[[nodiscard]] std::string StatusText(const LroStatus& status);

// RFC 3339 in UTC with milliseconds: "2023-11-13T22:24:40.477Z".
[[nodiscard]] std::string FormatTimestamp(Timestamp time);

// Elapsed time as a clock: "0:07", "12:34", "1:02:03".
[[nodiscard]] std::string FormatElapsed(std::chrono::milliseconds elapsed);

}  // namespace lro::cli
