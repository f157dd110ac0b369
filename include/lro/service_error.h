// The error a service reports for a failed operation or a rejected request.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lro {

// The resource an error detail is about (Fabric `relatedResource`).
struct RelatedResource {
  std::string resource_id;
  std::string resource_type;

  friend bool operator==(const RelatedResource&, const RelatedResource&) = default;
};

// One error as the service described it. Both wire shapes (SPEC §6) map onto it:
//  - Fabric `ErrorResponse`: errorCode → code, message, requestId → request_id,
//    isRetriable → is_retriable, moreDetails → details, relatedResource → related_resource.
//  - Azure `{"error": {code, message, target, details, innererror}}`: innererror is kept as
//    its JSON text because its shape is service-specific.
// Fields the service did not send are empty.
struct ServiceError {
  std::string code;
  std::string message;
  std::string request_id;
  std::string target;
  std::optional<bool> is_retriable;
  std::optional<RelatedResource> related_resource;
  std::vector<ServiceError> details;
  std::string inner_error_json;

  friend bool operator==(const ServiceError&, const ServiceError&) = default;
};

}  // namespace lro
