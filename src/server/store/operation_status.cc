#include <algorithm>
#include <array>
#include <cctype>

#include "lro/server/store.h"

namespace lro::server {

bool IsTerminal(OperationStatus status) {
  return status == OperationStatus::kSucceeded || status == OperationStatus::kFailed ||
         status == OperationStatus::kCanceled;
}

const char* OperationStatusName(OperationStatus status) {
  switch (status) {
    case OperationStatus::kNotStarted:
      return "NotStarted";
    case OperationStatus::kRunning:
      return "Running";
    case OperationStatus::kSucceeded:
      return "Succeeded";
    case OperationStatus::kFailed:
      return "Failed";
    case OperationStatus::kCanceled:
      return "Canceled";
  }
  return "Undefined";
}

std::optional<OperationStatus> ParseOperationStatus(std::string_view name) {
  static constexpr std::array kAll{OperationStatus::kNotStarted, OperationStatus::kRunning,
                                   OperationStatus::kSucceeded, OperationStatus::kFailed,
                                   OperationStatus::kCanceled};
  for (const auto status : kAll) {
    const std::string_view candidate = OperationStatusName(status);
    if (candidate.size() == name.size() &&
        std::equal(candidate.begin(), candidate.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return status;
    }
  }
  return std::nullopt;
}

}  // namespace lro::server
