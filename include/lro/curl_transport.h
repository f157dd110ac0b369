// The production transport, on libcurl, and its settings (ClientOptions::curl,
// EngineOptions::transport). Declares no libcurl type.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "lro/http.h"

namespace lro {

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Whole request, first byte to last; 0 = none.
  std::chrono::milliseconds request_timeout{120'000};
  // Responses longer than this fail with kProtocolError instead of filling memory.
  std::size_t max_body_bytes = std::size_t{64} * 1024 * 1024;
  // Negotiate HTTP/2 over TLS when the server offers it.
  bool http2 = true;
  std::string user_agent = "lro/0.1";
  // Extra CA bundle (PEM), for servers with a private CA; empty = system store.
  std::string ca_file;
};

// The production transport, on libcurl: TLS, HTTP/2, proxies from the environment
// (http_proxy, https_proxy, no_proxy), connections reused across requests.
std::shared_ptr<HttpTransport> MakeCurlTransport(CurlTransportOptions options = {});

}  // namespace lro
