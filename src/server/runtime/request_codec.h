// The stored request: what a re-run (after a restart, or on the replica that takes an
// operation over) replays. Credentials and transport headers are left out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lro/server/handler.h"

namespace lro::server::internal {

// {"method","path","query","body","headers":[[name,value],…]}, without credentials.
std::string EncodeRequest(const Request& request);
// The inverse; nullopt for anything unreadable.
std::optional<Request> DecodeRequest(std::string_view text);

}  // namespace lro::server::internal
