// The errors a service reports through lrod: the failure of an operation, or the rejection of
// a request. lrod renders them as a Fabric ErrorResponse or an Azure error (SPEC §6).
#pragma once

#include <string>
#include <vector>

namespace lro::server {

// One entry of `moreDetails` (Fabric) / `details` (Azure).
struct ErrorDetail {
  std::string error_code;
  std::string message;
  // The resource the detail is about (Fabric `relatedResource`); empty = none.
  std::string resource_id;
  std::string resource_type;

  friend bool operator==(const ErrorDetail&, const ErrorDetail&) = default;
};

struct ErrorInfo {
  std::string error_code;  // e.g. "InvalidInput"; required
  std::string message;     // for humans
  std::vector<ErrorDetail> more_details;
  // Whether the caller may retry the same request unchanged (Fabric `isRetriable`).
  bool is_retriable = false;

  friend bool operator==(const ErrorInfo&, const ErrorInfo&) = default;
};

}  // namespace lro::server
