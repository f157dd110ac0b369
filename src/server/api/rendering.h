// The wire form of operation states: the state endpoint's body and header lines, the entries
// of a listing, the state URL. Rendered once per committed state (the runtime calls
// RenderSnapshot through RuntimeConfig::render), so that a poll only copies bytes.
#pragma once

#include <string>
#include <string_view>

#include "lro/server/mode.h"
#include "lro/server/store.h"
#include "runtime/snapshot.h"

namespace lro::server::internal {

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

// True when a content type names JSON.
bool IsJsonContentType(std::string_view content_type);

}  // namespace lro::server::internal
