#include "client/transport/curl_request.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>

#include "wire/ascii.h"

namespace lro::internal {
namespace {

// Room reserved for a response's headers up front, so that a usual response grows no vector.
constexpr std::size_t kUsualHeaderCount = 12;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// Whether `text` holds a line break (or, for a header name, a colon): one memchr per character
// looked for. (std::string::find_first_of calls memchr once per character of `text`, and a loop
// over the characters costs more than two vectorized scans, on every header of every request.)
bool HasLineBreak(std::string_view text, bool or_colon) {
  const auto holds = [text](char c) {
    return !text.empty() && std::memchr(text.data(), c, text.size()) != nullptr;
  };
  return holds('\r') || holds('\n') || (or_colon && holds(':'));
}

// The header list of a request with no header of its own and no body (most polls): only the
// User-Agent line. One list per thread and user agent, kept (curl only reads it), so such a
// request builds none: two allocations and a copy fewer each.
const curl_slist* UserAgentOnlyList(const std::string& user_agent) {
  struct Cached {
    Cached() = default;
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    Cached(Cached&&) = delete;
    Cached& operator=(Cached&&) = delete;
    ~Cached() {
      if (list != nullptr) curl_slist_free_all(list);
    }
    std::string user_agent;
    curl_slist* list = nullptr;
  };
  thread_local Cached cached;
  if (cached.list == nullptr || cached.user_agent != user_agent) {
    curl_slist* list = curl_slist_append(nullptr, ("User-Agent: " + user_agent).c_str());
    if (list == nullptr) return nullptr;
    if (cached.list != nullptr) curl_slist_free_all(cached.list);
    cached.list = list;
    cached.user_agent = user_agent;
  }
  return cached.list;
}

// "host:port" of `url` for error messages: never the user info, path or query, which may
// carry secrets. "server" when the URL does not parse.
std::string HostAndPort(const std::string& url) {
  std::string out = "server";
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return out;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
      out = host;
      if (curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
          port != nullptr) {
        out += ':';
        out += port;
      }
    }
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(parsed);
  return out;
}

}  // namespace

EnvironmentProxies EnvironmentProxies::Read() {
  auto first_set = [](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (const char* value = std::getenv(name); value != nullptr) return value;
    }
    return {};
  };
  EnvironmentProxies found;
  found.no_proxy = first_set({"no_proxy", "NO_PROXY"});
  found.http = first_set({"http_proxy", "all_proxy", "ALL_PROXY"});
  found.https = first_set({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
  return found;
}

const std::string& EnvironmentProxies::For(std::string_view url) const {
  return wire::EqualsIgnoreCase(url.substr(0, 6), "https:") ? https : http;
}

// CURLOPT_HEADERFUNCTION: one header line at a time. A status line starts a new header
// block (after a 1xx or any interim response), so only the final response's headers stay.
std::size_t CurlRequest::Capture::OnHeaderLine(char* data, std::size_t size, std::size_t count,
                                               void* user) {
  auto* capture = static_cast<Capture*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  Headers& headers = capture->response.headers;
  if (line.starts_with("HTTP/")) {
    // The headers' strings of a recycled response are written over (their room reused);
    // Finish drops the ones left over.
    capture->headers_used = 0;
    if (headers.capacity() == 0) headers.reserve(kUsualHeaderCount);
    return bytes;
  }
  std::string_view trimmed = Trim(line);
  if (trimmed.empty()) return bytes;
  if ((line.front() == ' ' || line.front() == '\t') && capture->headers_used > 0) {
    // An obsolete folded continuation of the previous header's value.
    std::string& value = headers[capture->headers_used - 1].value;
    value += ' ';
    value += trimmed;
    return bytes;
  }
  const std::size_t colon = trimmed.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;  // not a header: ignore
  const std::string_view name = Trim(trimmed.substr(0, colon));
  const std::string_view value = Trim(trimmed.substr(colon + 1));
  if (capture->headers_used < headers.size()) {
    Header& header = headers[capture->headers_used];
    header.name.assign(name);
    header.value.assign(value);
  } else {
    headers.push_back({std::string(name), std::string(value)});
  }
  ++capture->headers_used;
  return bytes;
}

// CURLOPT_WRITEFUNCTION: the body, capped at max_body_bytes.
std::size_t CurlRequest::Capture::OnBodyBytes(char* data, std::size_t size, std::size_t count,
                                              void* user) {
  auto* capture = static_cast<Capture*>(user);
  const std::size_t bytes = size * count;
  if (bytes > capture->max_body_bytes - capture->response.body.size()) {
    capture->body_too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  capture->response.body.append(data, bytes);
  return bytes;
}

// CURLOPT_XFERINFOFUNCTION: ends a transfer whose token fired.
int CurlRequest::Capture::OnProgress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/,
                                     curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
  const auto* capture = static_cast<const Capture*>(user);
  return capture->cancel->cancelled() ? 1 : 0;
}

void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlRequest::CurlRequest(const CurlTransportOptions& options, const EnvironmentProxies& proxies,
                         HttpRequest request, CancellationToken cancel)
    : options_(options),
      proxies_(proxies),
      request_(std::move(request)),
      cancel_(std::move(cancel)) {
  capture_.cancel = &cancel_;
  capture_.max_body_bytes =
      options_.max_body_bytes > 0 ? options_.max_body_bytes : static_cast<std::size_t>(-1);
}

CurlRequest::~CurlRequest() {
  if (headers_ != nullptr) curl_slist_free_all(headers_);
  curl_url_cleanup(url_handle_);  // (null-safe)
}

void CurlRequest::Reuse(HttpRequest request, HttpResponse spare) {
  if (headers_ != nullptr) curl_slist_free_all(headers_);
  headers_ = nullptr;
  request_ = std::move(request);
  capture_.body_too_large = false;
  capture_.response = std::move(spare);
  capture_.response.status = 0;
  capture_.response.body.clear();
  capture_.headers_used = 0;
}

Status CurlRequest::Cancelled() const {
  return {StatusCode::kCancelled,
          request_.method + " to " + HostAndPort(request_.url) + " cancelled"};
}

Status CurlRequest::Configure(CURL* easy, bool fresh) {
  for (const Header& header : request_.headers) {
    if (header.name.empty() || HasLineBreak(header.name, true) ||
        HasLineBreak(header.value, false)) {
      return Status(StatusCode::kInvalidArgument,
                    "malformed header name or value in request to " + HostAndPort(request_.url));
    }
  }
  const std::string& method = request_.method;
  const bool has_body =
      !request_.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  // The request's headers in curl's form. With a body, curl's own defaults are turned off
  // unless the caller set them: no form-encoded Content-Type, no `Expect: 100-continue`.
  bool has_content_type = false;
  bool has_expect = false;
  bool has_user_agent = false;
  const curl_slist* header_list = nullptr;
  if (request_.headers.empty() && !has_body && !options_.user_agent.empty()) {
    header_list = UserAgentOnlyList(options_.user_agent);
    if (header_list == nullptr) return Status(StatusCode::kInternal, "out of memory");
  }
  // One buffer for the lines (curl copies each): its room outlives the request, so a usual
  // request's lines allocate nothing.
  thread_local std::string line;
  for (const Header& header : request_.headers) {
    has_content_type = has_content_type || wire::EqualsIgnoreCase(header.name, "Content-Type");
    has_expect = has_expect || wire::EqualsIgnoreCase(header.name, "Expect");
    has_user_agent = has_user_agent || wire::EqualsIgnoreCase(header.name, "User-Agent");
    // "Name;" is curl's way to send a header with an empty value.
    line.assign(header.name);
    if (header.value.empty()) {
      line += ';';
    } else {
      line += ": ";
      line += header.value;
    }
    headers_ = curl_slist_append(headers_, line.c_str());
    if (headers_ == nullptr) return Status(StatusCode::kInternal, "out of memory");
  }
  // The User-Agent goes as a header line of its own rather than CURLOPT_USERAGENT: libcurl
  // 7.88 formats that option into the request twice, a byte at a time through its printf
  // (~100 instructions a byte); a header line once. The same header, unless the caller sent
  // one.
  if (!has_user_agent && !options_.user_agent.empty() && header_list == nullptr) {
    line.assign("User-Agent: ");
    line += options_.user_agent;
    headers_ = curl_slist_append(headers_, line.c_str());
    if (headers_ == nullptr) return Status(StatusCode::kInternal, "out of memory");
  }
  if (has_body && !has_content_type) headers_ = curl_slist_append(headers_, "Content-Type:");
  if (has_body && !has_expect) headers_ = curl_slist_append(headers_, "Expect:");
  if (has_body && headers_ == nullptr) return Status(StatusCode::kInternal, "out of memory");
  if (header_list == nullptr) header_list = headers_;

  if (fresh) {
    // What every request of these options shares.
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                     options_.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                    : static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    // Proxies as the environment names them, given explicitly so that libcurl does not look
    // them up again for every request.
    curl_easy_setopt(easy, CURLOPT_NOPROXY, proxies_.no_proxy.c_str());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Capture::OnHeaderLine);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Capture::OnBodyBytes);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &Capture::OnProgress);
    if (options_.max_body_bytes > 0) {
      // Fails early when Content-Length announces too much; OnBodyBytes catches the rest.
      curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options_.max_body_bytes));
    }
  }
  // Usually one proxy (or none) for both schemes: set once per handle, above; else per request.
  if (fresh || proxies_.http != proxies_.https) {
    curl_easy_setopt(easy, CURLOPT_PROXY, proxies_.For(request_.url).c_str());
  }
  // The URL goes parsed (CURLOPT_CURLU), with the flags libcurl parses a CURLOPT_URL with:
  // libcurl then neither parses it nor writes it back out normalized, byte by byte through its
  // printf, for every request (~4,800 instructions); a request to the URL this object's last
  // request went to (an operation polling its monitor again at once) parses nothing (~13,000).
  if (url_handle_ == nullptr || parsed_url_ != request_.url) {
    if (url_handle_ == nullptr) url_handle_ = curl_url();
    if (url_handle_ == nullptr) return Status(StatusCode::kInternal, "out of memory");
    parsed_url_.clear();
    curl_url_set(url_handle_, CURLUPART_URL, nullptr, 0);  // a new URL: nothing of the last
    if (const CURLUcode parsed = curl_url_set(url_handle_, CURLUPART_URL, request_.url.c_str(),
                                              CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME);
        parsed != CURLUE_OK) {
      return Status(
          StatusCode::kInvalidArgument,
          request_.method + " to " + HostAndPort(request_.url) + ": " + curl_url_strerror(parsed));
    }
    parsed_url_ = request_.url;
  }
  curl_easy_setopt(easy, CURLOPT_CURLU, url_handle_);
  // The text too: libcurl keeps it as the transfer's URL (what it reports and logs), which
  // the parsed form alone would leave at the first URL the handle was given.
  curl_easy_setopt(easy, CURLOPT_URL, request_.url.c_str());
  // The method: every option that selects one is set, so none lingers from a previous request
  // (a GET after this object's own GET has nothing to change).
  const bool plain_get = method == "GET" && !has_body;
  if (fresh || !(plain_get && was_plain_get_)) {
    curl_easy_setopt(easy, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
    if (method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    } else if (has_body) {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method == "POST" ? nullptr : method.c_str());
    } else {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method == "GET" ? nullptr : method.c_str());
    }
  }
  if (has_body && method != "HEAD") {
    // POSTFIELDS does not copy: request_.body outlives the transfer.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request_.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_.body.data());
  }
  was_plain_get_ = plain_get;
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list);
  if (fresh) {
    // The handle's pointers into this object (a reused handle keeps them: same object).
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &capture_);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &capture_);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &capture_);
    // The progress callback only watches the token: none to watch, no callback (it runs
    // often). The token stays with this object across Reuse.
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, cancel_.can_be_cancelled() ? 0L : 1L);
  }
  return {};
}

StatusOr<HttpResponse> CurlRequest::Finish(CURL* easy, CURLcode code) {
  // Nothing of this object may stay pointed to by a pooled handle.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  if (code == CURLE_ABORTED_BY_CALLBACK || cancel_.cancelled()) return Cancelled();
  if (capture_.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return Status(StatusCode::kProtocolError,
                  "response body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (code != CURLE_OK) {
    const std::string host = HostAndPort(request_.url);
    // One line naming the cause and the host; never a header value, user info, path or query.
    const std::string cause = curl_easy_strerror(code);
    switch (code) {
      case CURLE_COULDNT_RESOLVE_HOST:
        return Status(StatusCode::kUnavailable, "resolve host of " + host + " failed: " + cause);
      case CURLE_COULDNT_RESOLVE_PROXY:
        return Status(StatusCode::kUnavailable, "resolve proxy for " + host + " failed: " + cause);
      case CURLE_COULDNT_CONNECT:
        return Status(StatusCode::kUnavailable, "connect to " + host + " failed: " + cause);
      case CURLE_OPERATION_TIMEDOUT: {
        // A reused connection has no connect time either: only a request never sent (no
        // bytes of it written) means the connect is what timed out.
        curl_off_t connect_us = 0;
        long request_bytes = 0;
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
        curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_bytes);
        if (connect_us == 0 && request_bytes == 0) {
          return Status(StatusCode::kUnavailable,
                        "connect to " + host + " failed: timed out after " +
                            std::to_string(options_.connect_timeout.count()) + " ms");
        }
        return Status(StatusCode::kUnavailable,
                      request_.method + " to " + host + " failed: timed out after " +
                          std::to_string(options_.request_timeout.count()) + " ms");
      }
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Status(StatusCode::kInvalidArgument, request_.method + " to " + host + ": " + cause);
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_BAD_CONTENT_ENCODING:
      case CURLE_RANGE_ERROR:
        return Status(StatusCode::kProtocolError, "malformed response from " + host + ": " + cause);
      case CURLE_OUT_OF_MEMORY:
      case CURLE_FAILED_INIT:
        return Status(StatusCode::kInternal, request_.method + " to " + host + " failed: " + cause);
      default:
        // Resets, empty replies, truncated bodies, TLS failures, HTTP/2 stream errors, proxy
        // failures: the request did not complete; another attempt may.
        return Status(StatusCode::kUnavailable,
                      request_.method + " to " + host + " failed: " + cause);
    }
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 100 || status > 999) {
    return Status(StatusCode::kProtocolError,
                  "malformed response from " + HostAndPort(request_.url) + ": no status code");
  }
  capture_.response.status = static_cast<int>(status);
  capture_.response.headers.resize(capture_.headers_used);  // a recycled response's leftovers
  return std::move(capture_.response);
}

}  // namespace lro::internal
