// What the protocol machine is given from outside: the caller's options, its policies and its
// id source. Internal: subject to change.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/protocol/log.h"
#include "lro/options.h"

namespace lro::internal {

// A new, never repeated id for a Repeatability-Request-ID (a UUID v4 in production:
// wire::RandomUuid). Called on the thread that starts the operation; must be thread-safe.
using IdSource = std::function<std::string()>;

struct MachineConfig {
  OperationOptions options;
  PollingPolicy polling;
  RetryPolicy retry;
  std::vector<std::string> allowed_credential_hosts;
  std::vector<std::string> sensitive_headers;
  IdSource new_id;
  Logger logger;
};
// Shared by every operation started with the same options: one copy, not one per operation.
using SharedMachineConfig = std::shared_ptr<const MachineConfig>;

}  // namespace lro::internal
