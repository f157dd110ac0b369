// The result of a finished operation.
#pragma once

#include <string>

#include "lro/status.h"

namespace lro {

// What a succeeded operation produced. An operation may legitimately have no result
// (Fabric `Succeeded` without `Location`, a DELETE, a 204): has_value is then false.
// The body is kept as bytes exactly as the server sent them; see lro/json.h to parse it.
struct Result {
  bool has_value = false;
  int http_status = 0;       // status of the response the result came from; 0 if none
  std::string content_type;  // as sent; empty if absent
  std::string body;

  // True when content_type names JSON (application/json, anything+json), or is absent
  // and the body is non-empty.
  [[nodiscard]] bool IsJson() const;

  // The body as a T, through boost::json::value_to<T> (write one tag_invoke for your type).
  // kFailedPrecondition when there is no result; kProtocolError naming why when the body is
  // not JSON or does not fit T. Never throws. Defined in lro/json.h: include it to use As.
  template <typename T>
  [[nodiscard]] StatusOr<T> As() const;
};

}  // namespace lro
