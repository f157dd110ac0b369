// One HTTP request on one libcurl easy handle: the options, the response it collects, and what
// its end means. Shared by every driver of libcurl in lro, so a request is set up and its
// errors are named one way. Internal: subject to change.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "lro/cancellation.h"
#include "lro/curl_transport.h"
#include "lro/http.h"

namespace lro::internal {

// curl_global_init, once per process.
void CurlGlobalInitOnce();

// The proxies the environment names, read when an engine or a transport is made: libcurl
// would read them again for every request (five getenv calls, ~1,500 instructions). The same
// variables and precedence as libcurl's own lookup: no_proxy, else NO_PROXY; for http,
// http_proxy (never HTTP_PROXY, which a CGI request can set); for https, https_proxy, then
// HTTPS_PROXY; then all_proxy, then ALL_PROXY. "" means none.
struct EnvironmentProxies {
  std::string no_proxy;
  std::string http;
  std::string https;

  static EnvironmentProxies Read();
  // The proxy for a request to `url` (libcurl then applies no_proxy to its host).
  [[nodiscard]] const std::string& For(std::string_view url) const;
};

class CurlRequest {
 public:
  // `options` and `proxies` must outlive this object.
  CurlRequest(const CurlTransportOptions& options, const EnvironmentProxies& proxies,
              HttpRequest request, CancellationToken cancel);
  CurlRequest(const CurlRequest&) = delete;
  CurlRequest& operator=(const CurlRequest&) = delete;
  CurlRequest(CurlRequest&&) = delete;
  CurlRequest& operator=(CurlRequest&&) = delete;
  ~CurlRequest();

  // Sets every option of this request on `easy`; the handle then points into this object,
  // which must outlive the transfer. kInvalidArgument for a request that cannot be sent (a
  // malformed URL or header). `fresh` says the handle is new or reset. fresh == false says
  // the handle's last request was this object's, before Reuse: then only the options that
  // differ from that request are set (the others, and the handle's pointers into this
  // object, stay).
  Status Configure(CURL* easy, bool fresh = true);
  // Makes this object carry `request` next, after Finish of its previous one. The cancellation
  // token stays. `spare`, an answered response no longer needed, lends its room (header
  // strings, body): its contents are written over.
  void Reuse(HttpRequest request, HttpResponse spare = {});
  // What the transfer's end (`code` from libcurl) means: the response, or kCancelled,
  // kUnavailable (transient), kProtocolError (malformed, over the body cap), kInvalidArgument.
  // Detaches the easy handle from this object.
  StatusOr<HttpResponse> Finish(CURL* easy, CURLcode code);
  // The status for a request that ended by cancellation.
  [[nodiscard]] Status Cancelled() const;

  [[nodiscard]] const HttpRequest& request() const { return request_; }
  [[nodiscard]] const CancellationToken& cancel() const { return cancel_; }

 private:
  // What the response is gathered into while curl runs its callbacks (their user data).
  struct Capture {
    const CancellationToken* cancel = nullptr;
    std::size_t max_body_bytes = 0;
    bool body_too_large = false;
    HttpResponse response;
    // How many of response.headers belong to this response (the rest are a recycled
    // response's, to be written over).
    std::size_t headers_used = 0;

    static std::size_t OnHeaderLine(char* data, std::size_t size, std::size_t count, void* user);
    static std::size_t OnBodyBytes(char* data, std::size_t size, std::size_t count, void* user);
    static int OnProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                          curl_off_t ulnow);
  };

  const CurlTransportOptions& options_;
  const EnvironmentProxies& proxies_;
  HttpRequest request_;
  CancellationToken cancel_;
  curl_slist* headers_ = nullptr;
  // The request's URL as libcurl's parsed form, and the text it was parsed from: kept across
  // Reuse, so that a request to the same URL again parses nothing.
  CURLU* url_handle_ = nullptr;
  std::string parsed_url_;
  Capture capture_;
  // What Configure last set on its handle, for a Configure with fresh == false.
  bool was_plain_get_ = false;
};

}  // namespace lro::internal
