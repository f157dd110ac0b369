// Reading a status monitor's body (SPEC §2, §3): Fabric, Azure-AsyncOperation and
// Operation-Location monitors. A pure function of the body. Internal: subject to change.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lro/operation_state.h"
#include "lro/service_error.h"
#include "lro/status.h"

namespace lro::internal {

// What one monitor body says. Its views point into the body read.
struct MonitorReading {
  LroStatus status;     // `status`, classified (an unknown value is Running, known == false)
  std::string_view id;  // `id`, empty when absent or not a string
  // percentComplete: nullopt when the body says nothing usable (keep what was known); an
  // empty value when it is null (forget it); else 0–100, clamped.
  std::optional<std::optional<int>> percent_complete;
  std::optional<Timestamp> created;       // createdTimeUtc / createdDateTime
  std::optional<Timestamp> last_updated;  // lastUpdatedTimeUtc / lastUpdatedDateTime
  bool has_error = false;                 // the body has an `error` member
  std::optional<ServiceError> error;      // that member, when it reads as an error
};

// Reads a monitor body. kProtocolError when it is not an object, has no `status`, or its
// status is not a string.
StatusOr<MonitorReading> ReadMonitorBody(const boost::json::value& body);
// The reading's id views into `body`: a temporary body would leave it dangling.
StatusOr<MonitorReading> ReadMonitorBody(const boost::json::value&& body) = delete;

}  // namespace lro::internal
