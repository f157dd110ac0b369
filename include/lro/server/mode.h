// Which conventions lrod's endpoints speak; a header of its own so that the runtime and the
// stores need not include the server facade.
#pragma once

namespace lro::server {

// Which conventions the endpoints speak (SPEC §9).
enum class Mode {
  // 202 + Location + x-ms-operation-id; state {status, createdTimeUtc, lastUpdatedTimeUtc,
  // percentComplete, error}; no Canceled status (Failed + OperationCanceled); ErrorResponse.
  kFabric,
  // 202 + Operation-Location; monitor {id, status, error, result?}; Canceled; Azure errors.
  kAzure,
};

}  // namespace lro::server
