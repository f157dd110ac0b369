// One HTTP request on one libcurl easy handle: the options, the response it collects, and what
// its end means. Shared by every driver of libcurl in lro, so a request is set up and its
// errors are named one way. Internal: subject to change.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <memory>

#include "lro/cancellation.h"
#include "lro/curl_transport.h"
#include "lro/http.h"

namespace lro::internal {

// curl_global_init, once per process.
void CurlGlobalInitOnce();

class CurlRequest {
 public:
  CurlRequest(const CurlTransportOptions& options, HttpRequest request, CancellationToken cancel);
  CurlRequest(const CurlRequest&) = delete;
  CurlRequest& operator=(const CurlRequest&) = delete;
  CurlRequest(CurlRequest&&) = delete;
  CurlRequest& operator=(CurlRequest&&) = delete;
  ~CurlRequest();

  // Sets every option of this request on `easy`; the handle then points into this object,
  // which must outlive the transfer. kInvalidArgument for a request that cannot be sent (a
  // malformed URL or header). `fresh` says the handle is new or reset; a handle that last
  // carried another CurlRequest of the same options may be passed with fresh == false, and
  // then only the options that vary per request are set (the others stay from last time).
  Status Configure(CURL* easy, bool fresh = true);
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

    static std::size_t OnHeaderLine(char* data, std::size_t size, std::size_t count, void* user);
    static std::size_t OnBodyBytes(char* data, std::size_t size, std::size_t count, void* user);
    static int OnProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                          curl_off_t ulnow);
  };

  const CurlTransportOptions& options_;
  HttpRequest request_;
  CancellationToken cancel_;
  curl_slist* headers_ = nullptr;
  Capture capture_;
};

}  // namespace lro::internal
