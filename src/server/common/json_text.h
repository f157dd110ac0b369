// Small, fast JSON text helpers for the bodies lrod writes on hot paths (no DOM).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lro/server/error.h"

namespace lro::server::internal {

// Appends `text` as a JSON string literal, quotes included; bytes that are not UTF-8 become
// U+FFFD.
void AppendJsonString(std::string& out, std::string_view text);

// The error as a Fabric ErrorResponse object; `request_id` is left out when empty.
void AppendFabricError(std::string& out, const ErrorInfo& error, std::string_view request_id);
// The error as an Azure error object {"code","message","details"} (without the "error" wrapper).
void AppendAzureError(std::string& out, const ErrorInfo& error);

// ErrorInfo <-> the JSON the store keeps (the Fabric shape without requestId).
std::string ErrorToJson(const ErrorInfo& error);
std::optional<ErrorInfo> ErrorFromJson(std::string_view json);

}  // namespace lro::server::internal
