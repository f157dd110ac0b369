// Which request headers are credentials: the client scopes them (SPEC §8) and keeps them out
// of resume tokens; lrod keeps them out of the requests it stores for a re-run. Internal.
#pragma once

#include <string_view>

#include "wire/ascii.h"

namespace lro::wire {

// Authorization, Proxy-Authorization, Cookie, api-key, x-api-key, Ocp-Apim-Subscription-Key
// and x-functions-key, in any case.
constexpr bool IsCredentialHeader(std::string_view name) {
  return EqualsAnyIgnoreCase(name, {"authorization", "proxy-authorization", "cookie", "api-key",
                                    "x-api-key", "ocp-apim-subscription-key", "x-functions-key"});
}

}  // namespace lro::wire
