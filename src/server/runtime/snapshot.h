// A committed state of one operation, as readers see it. Its wire form (body and header lines)
// is filled once per commit by the renderer the runtime was given (api/rendering.h): the runtime
// itself knows no wire format.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lro/server/error.h"
#include "lro/server/store.h"

namespace lro::server::internal {

struct ResultData {
  std::string content_type;
  std::string body;
};

struct Snapshot {
  std::string id;
  std::string type;
  std::string display_name;
  OperationStatus status = OperationStatus::kNotStarted;
  std::optional<int> percent_complete;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> expires_ms;
  std::optional<ErrorInfo> error;
  bool has_result = false;
  // The result bytes; null when has_result is false or they were not loaded.
  std::shared_ptr<const ResultData> result;
  int retry_after_s = 1;
  // The state endpoint's body and its own header lines ("Name: value\r\n"…), filled by the
  // renderer (RuntimeConfig::render).
  std::string body;
  std::string headers;
};

}  // namespace lro::server::internal
