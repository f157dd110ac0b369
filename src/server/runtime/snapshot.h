// A committed state of one operation, as readers see it, rendered once per commit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lro/server/error.h"
#include "lro/server/mode.h"
#include "lro/server/store.h"

namespace lro::server::internal {

struct ResultData {
  std::string content_type;
  std::string body;
};

struct Snapshot {
  std::string id;
  std::string type;
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
  // The state endpoint's body and its own header lines ("Name: value\r\n"…) for the mode.
  std::string body;
  std::string headers;
};

struct RenderConfig {
  Mode mode = Mode::kFabric;
  std::string public_url;  // no trailing '/'
};

// Fills body and headers from the other fields.
void RenderSnapshot(const RenderConfig& config, Snapshot& snapshot);

// {public_url}/v1/operations/{id}
std::string StateUrl(const RenderConfig& config, std::string_view id);

// The JSON object describing an operation in a listing.
void AppendListEntry(const RenderConfig& config, std::string& out, const OperationRecord& record);

// The status name a client of the mode sees (Fabric has no Canceled).
const char* VisibleStatusName(Mode mode, OperationStatus status);

}  // namespace lro::server::internal
