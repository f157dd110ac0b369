// SplitPlainUrl against Boost.URL: any URL the hand reader accepts, the full parser accepts
// with the same parts (what the client's origin, credential scope and link handling rely
// on). Then the readers built on both, which must not crash on any input.
#include <boost/url/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/protocol/url.h"
#include "client/protocol/url_parts.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  if (const auto parts = lro::internal::SplitPlainUrl(url)) {
    const auto full = boost::urls::parse_uri(url);
    if (!full || parts->scheme != full->scheme() || parts->authority != full->encoded_authority() ||
        parts->host != full->encoded_host() || parts->has_port != full->has_port() ||
        parts->port != full->port() || parts->port_number != full->port_number() ||
        parts->path != full->encoded_path()) {
      std::abort();  // the hand reader and the full parser disagree
    }
  }
  (void)lro::internal::Origin(url);
  (void)lro::internal::ValidateAbsoluteUrl(url);
  (void)lro::internal::ResolveUrl("https://origin.test/a/b?api-version=1", url);
  (void)lro::internal::MayReceiveCredentials("https://origin.test/a", url, {"*.test"});
  return 0;
}
