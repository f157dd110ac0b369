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

// What one monitor body says.
struct MonitorReading {
  LroStatus status;  // `status`, classified (an unknown value is Running, known == false)
  std::string id;    // `id`, empty when absent or not a string
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

// What reading a monitor body from its text found.
enum class MonitorScan {
  kRead,      // `reading` is what ReadMonitorBody of the parsed body gives
  kNotJson,   // the text does not parse as JSON (ParseBody would give nullopt)
  kNeedsDom,  // valid JSON, but only ReadMonitorBody of the parsed body can read it
};
struct ScannedMonitor {
  MonitorScan outcome = MonitorScan::kNeedsDom;
  MonitorReading reading;  // when kRead
};

// Reads a monitor body's fields straight from its text, without building a JSON DOM (a
// running monitor is read on every poll; the DOM costs more than the rest of the reading).
// The text is parsed by Boost.JSON's own parser with ParseBody's options, so what is JSON is
// the same, escapes are decoded and numbers typed the same. kNeedsDom, for the few bodies the
// DOM is for: not an object; no `status`, or one that is not a string; an `error` member
// (a ServiceError to read); a field read here given twice.
ScannedMonitor ScanMonitorBody(std::string_view text);

}  // namespace lro::internal
