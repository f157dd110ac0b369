// Parsing a result as JSON. Kept apart from result.h so that code that never parses JSON
// does not pay for Boost.JSON's headers.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>
#include <exception>
#include <string>

#include "lro/result.h"
#include "lro/status.h"

namespace lro {

// Parses result.body. kFailedPrecondition when there is no result, kProtocolError when the
// body is not JSON.
StatusOr<boost::json::value> ParseJson(const Result& result);

template <typename T>
StatusOr<T> Result::As() const {
  auto value = ParseJson(*this);
  if (!value.ok()) return value.status();
  try {
    return boost::json::value_to<T>(*value);
  } catch (const std::exception& e) {
    return Status(StatusCode::kProtocolError,
                  std::string("the result does not fit the requested type: ") + e.what());
  } catch (...) {
    return Status(StatusCode::kProtocolError,
                  "the result does not fit the requested type (unknown exception)");
  }
}

// The result of an operation, typed: what a Wait, an AsyncOperation or a co_await returned,
// as a T (see Result::As). An error stays that error.
template <typename T>
StatusOr<T> As(const StatusOr<Result>& outcome) {
  if (!outcome.ok()) return outcome.status();
  return outcome->As<T>();
}

}  // namespace lro
