// What the public may see of one long-running operation: its status and progress.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "lro/boxed_optional.h"
#include "lro/service_error.h"

namespace lro {

using Timestamp = std::chrono::system_clock::time_point;

// Where an operation stands (SPEC §2). Every status string maps to one of these.
enum class StatusKind {
  kRunning,    // not terminal: NotStarted, Running, InProgress, … and any unknown value
  kSucceeded,  // Succeeded, Completed
  kFailed,     // Failed, Undefined
  kCanceled,   // Canceled, Cancelled
};

// A status as the service said it, with its meaning.
struct LroStatus {
  StatusKind kind = StatusKind::kRunning;
  std::string raw;     // the service's own string, as sent ("Running", "InProgress", …)
  bool known = false;  // false for a value outside SPEC §2's table (polling goes on)

  [[nodiscard]] bool terminal() const { return kind != StatusKind::kRunning; }
  friend bool operator==(const LroStatus&, const LroStatus&) = default;
};

// Maps a status string case-insensitively per SPEC §2. Unknown values are kRunning with
// known == false.
LroStatus ClassifyStatus(std::string_view raw);

// "Running", "Succeeded", "Failed", "Canceled".
const char* StatusKindName(StatusKind kind);

// Parses an RFC 3339 / ISO 8601 date-time: "2023-11-13T22:24:40.477Z", the live Fabric form
// without zone and with 7 fractional digits ("2023-11-13T22:24:40.4770000", read as UTC), and
// numeric offsets ("+02:00"). Returns nullopt for anything else.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

// The state of an operation as last reported by its status monitor.
struct OperationState {
  LroStatus status;
  std::optional<int> percent_complete;  // 0–100 when the service reports it
  std::optional<Timestamp> created;
  std::optional<Timestamp> last_updated;
  BoxedOptional<ServiceError> error;  // set when the operation failed or was canceled with one

  [[nodiscard]] bool done() const { return status.terminal(); }
  friend bool operator==(const OperationState&, const OperationState&) = default;
};

}  // namespace lro
