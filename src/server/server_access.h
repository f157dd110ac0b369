// Internal: lrod's request handling (routing, authentication, the operation endpoints) of a
// started Server, called without a socket. For the fuzz target that feeds it requests
// (tests/fuzz/fuzz_lrod_request.cc); nothing else should need it.
#pragma once

#include "lro/server/server.h"

namespace lro::server::internal {

class Api;

struct ServerAccess {
  // The Api of `server`; null before Start. Valid until the server is destroyed.
  static Api* RequestHandling(Server& server);
};

}  // namespace lro::server::internal
