#include <array>

#include "lro/server/store.h"
#include "wire/ascii.h"
#include "wire/status_names.h"

namespace lro::server {

bool IsTerminal(OperationStatus status) {
  return status == OperationStatus::kSucceeded || status == OperationStatus::kFailed ||
         status == OperationStatus::kCanceled;
}

const char* OperationStatusName(OperationStatus status) {
  switch (status) {
    case OperationStatus::kNotStarted:
      return wire::kStatusNotStarted;
    case OperationStatus::kRunning:
      return wire::kStatusRunning;
    case OperationStatus::kSucceeded:
      return wire::kStatusSucceeded;
    case OperationStatus::kFailed:
      return wire::kStatusFailed;
    case OperationStatus::kCanceled:
      return wire::kStatusCanceled;
  }
  return "Undefined";
}

std::optional<OperationStatus> ParseOperationStatus(std::string_view name) {
  static constexpr std::array kAll{OperationStatus::kNotStarted, OperationStatus::kRunning,
                                   OperationStatus::kSucceeded, OperationStatus::kFailed,
                                   OperationStatus::kCanceled};
  for (const auto status : kAll) {
    if (wire::EqualsIgnoreCase(name, OperationStatusName(status))) return status;
  }
  return std::nullopt;
}

}  // namespace lro::server
