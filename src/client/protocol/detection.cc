#include "client/protocol/detection.h"

#include <cctype>
#include <optional>
#include <utility>

#include "client/protocol/answers.h"
#include "client/protocol/google_operation.h"
#include "client/protocol/url.h"
#include "wire/ascii.h"

namespace lro::internal {
namespace {

constexpr Mode kAllModes[] = {Mode::kNone,   Mode::kOperationLocation, Mode::kAzureAsyncOperation,
                              Mode::kFabric, Mode::kLocation,          Mode::kBody,
                              Mode::kGoogle};

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kUnknown:
      return "unknown";
    case Mode::kNone:
      return "none";
    case Mode::kOperationLocation:
      return "operation-location";
    case Mode::kAzureAsyncOperation:
      return "azure-async-operation";
    case Mode::kFabric:
      return "fabric";
    case Mode::kLocation:
      return "location";
    case Mode::kBody:
      return "body";
    case Mode::kGoogle:
      return "google";
  }
  return "unknown";
}

Mode ModeFromName(std::string_view name) {
  for (Mode mode : kAllModes) {
    if (name == ModeName(mode)) return mode;
  }
  return Mode::kUnknown;
}

Mode ModeForMonitor(PollingMode forced) {
  switch (forced) {
    case PollingMode::kOperationLocation:
      return Mode::kOperationLocation;
    case PollingMode::kAzureAsyncOperation:
      return Mode::kAzureAsyncOperation;
    case PollingMode::kFabric:
      return Mode::kFabric;
    case PollingMode::kBody:
      return Mode::kBody;
    case PollingMode::kGoogle:
      return Mode::kGoogle;
    case PollingMode::kAuto:
    case PollingMode::kLocation:
      break;
  }
  return Mode::kLocation;
}

StatusOr<Detection> DetectPollingMode(const FirstAnswer& answer, const OperationOptions& options) {
  const HttpResponse& response = answer.response;
  const std::string url(answer.url);
  const int status = response.status;
  auto resolve_header = [&](std::string_view name) -> std::optional<StatusOr<std::string>> {
    auto value = FindHeader(response.headers, name);
    if (!value) return std::nullopt;
    auto resolved = ResolveUrl(url, *value);
    if (!resolved.ok()) {
      return ProtocolError(std::string("the ") + std::string(name) +
                           " header is not a usable URL: " + resolved.status().message());
    }
    return resolved;
  };
  const auto operation_location = resolve_header("Operation-Location");
  const auto azure_async = resolve_header("Azure-AsyncOperation");
  const auto operation_id = FindHeader(response.headers, "x-ms-operation-id");
  const bool has_location = !answer.location.empty();
  const boost::json::value* body = answer.body;
  const bool put_or_patch = wire::EqualsAnyIgnoreCase(answer.method, {"put", "patch"});
  const bool body_running = put_or_patch && body != nullptr && ProvisioningState(*body) &&
                            !ClassifyStatus(*ProvisioningState(*body)).terminal();

  // The Fabric state URL: Location when given, else built from the operation id.
  auto fabric_monitor = [&]() -> StatusOr<std::string> {
    if (has_location) return std::string(answer.location);
    const std::string base =
        options.fabric_base_url.empty() ? Origin(url) : options.fabric_base_url;
    const std::string id(*operation_id);
    for (char c : id) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') {
        return ProtocolError("x-ms-operation-id is not a plain id");
      }
    }
    std::string trimmed = base;
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
    return ResolveUrl(url, trimmed + "/v1/operations/" + id);
  };
  // The Google Operation's URL: the call's origin and version prefix, then its name.
  auto google_monitor = [&]() -> StatusOr<std::string> {
    return GoogleOperationUrl(url, StringField(*body, "name").value_or(""));
  };

  Mode mode = Mode::kNone;
  StatusOr<std::string> monitor = std::string();
  switch (options.mode) {
    case PollingMode::kAuto:
      if (operation_location) {
        mode = Mode::kOperationLocation;
        monitor = *operation_location;
      } else if (azure_async) {
        mode = Mode::kAzureAsyncOperation;
        monitor = *azure_async;
      } else if (operation_id && status == 202) {
        mode = Mode::kFabric;
        monitor = fabric_monitor();
      } else if (has_location && status == 202) {
        mode = Mode::kLocation;
        monitor = std::string(answer.location);
      } else if (body_running) {
        mode = Mode::kBody;
        monitor = url;
      } else if (status == 200 && body != nullptr && IsGoogleOperation(*body)) {
        mode = Mode::kGoogle;
        monitor = google_monitor();
      }
      break;
    case PollingMode::kOperationLocation:
      if (operation_location) {
        mode = Mode::kOperationLocation;
        monitor = *operation_location;
      }
      break;
    case PollingMode::kAzureAsyncOperation:
      if (azure_async) {
        mode = Mode::kAzureAsyncOperation;
        monitor = *azure_async;
      }
      break;
    case PollingMode::kFabric:
      if (has_location || operation_id) {
        mode = Mode::kFabric;
        monitor = fabric_monitor();
      }
      break;
    case PollingMode::kLocation:
      if (has_location) {
        mode = Mode::kLocation;
        monitor = std::string(answer.location);
      }
      break;
    case PollingMode::kBody:
      if (put_or_patch || status == 202) {
        mode = Mode::kBody;
        monitor = url;
      }
      break;
    case PollingMode::kGoogle:
      if (body != nullptr && StringField(*body, "name")) {
        mode = Mode::kGoogle;
        monitor = google_monitor();
      }
      break;
  }
  if (!monitor.ok()) return monitor.status();
  return Detection{mode, std::move(*monitor)};
}

}  // namespace lro::internal
