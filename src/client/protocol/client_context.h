// What every operation of one Client shares, and the one way a request gets the client's
// credentials. Pure: no transport, no event loop. Internal: subject to change.
#pragma once

#include <memory>

#include "client/protocol/log.h"
#include "lro/clock.h"
#include "lro/http.h"
#include "lro/options.h"

namespace lro::internal {

// What every operation of one Client shares.
struct ClientContext {
  std::shared_ptr<HttpTransport> transport;
  // True when the caller gave the transport: the engine then calls it instead of its libcurl.
  bool custom_transport = false;
  // The caller's asynchronous transport: the engine's first choice when set.
  std::shared_ptr<AsyncHttpTransport> async_transport;
  std::shared_ptr<Clock> clock;
  CredentialProvider credentials;
  Logger logger;
};

// Adds the client's credentials to `request` when `may_carry_credentials` (SPEC §8; the
// machine decides that by origin). A provider that fails is a transient failure of the
// request: kUnavailable naming the provider's own error. The one place any face adds them.
Status AddCredentials(const CredentialProvider& credentials, bool may_carry_credentials,
                      HttpRequest& request);

}  // namespace lro::internal
