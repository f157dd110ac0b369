#include "client/protocol/client_context.h"

namespace lro::internal {

Status AddCredentials(const CredentialProvider& credentials, bool may_carry_credentials,
                      HttpRequest& request) {
  if (!may_carry_credentials || !credentials) return Status();
  auto headers = credentials();
  if (!headers.ok()) {
    return Status(StatusCode::kUnavailable,
                  "the credential provider failed: " + headers.status().message());
  }
  request.headers.insert(request.headers.end(), headers->begin(), headers->end());
  return Status();
}

}  // namespace lro::internal
