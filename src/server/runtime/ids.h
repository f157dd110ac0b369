// Identifiers.
#pragma once

#include <string>
#include <string_view>

#include "wire/uuid.h"

namespace lro::server::internal {

// A UUID v4 from the kernel's CSPRNG (wire::RandomUuid): an operation id nobody can guess.
std::string NewOperationId();
// A UUID-shaped id for a request: unique, cheap, not secret.
std::string NewRequestId();
// A replica's name in the store: host name, process id and random bits, e.g. "web-1:4242:9f3a…".
std::string NewReplicaId();
using wire::IsCanonicalUuid;

}  // namespace lro::server::internal
