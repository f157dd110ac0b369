#include "lro/server/handler.h"

#include <utility>

namespace lro::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Request::Param(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (PercentDecode(key) != name) continue;
    return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

WorkResult WorkResult::Json(std::string json) { return Bytes(std::move(json), "application/json"); }

WorkResult WorkResult::Bytes(std::string body, std::string content_type) {
  WorkResult result;
  result.kind_ = Kind::kResult;
  result.body_ = std::move(body);
  result.content_type_ = std::move(content_type);
  return result;
}

WorkResult WorkResult::NoResult() { return WorkResult(); }

WorkResult WorkResult::Error(ErrorInfo error) {
  WorkResult result;
  result.kind_ = Kind::kError;
  result.error_ = std::move(error);
  return result;
}

WorkResult WorkResult::Canceled() {
  WorkResult result;
  result.kind_ = Kind::kCanceled;
  return result;
}

WorkResult WorkResult::ContinueAfter(std::chrono::milliseconds delay, Work next) {
  WorkResult result;
  result.kind_ = Kind::kContinue;
  result.delay_ = delay < std::chrono::milliseconds(0) ? std::chrono::milliseconds(0) : delay;
  result.next_ = std::make_shared<Work>(std::move(next));
  return result;
}

Reply Reply::Respond(int status, std::string body, std::string content_type) {
  Reply reply;
  reply.kind_ = Kind::kRespond;
  reply.status_ = status;
  reply.body_ = std::move(body);
  reply.content_type_ = std::move(content_type);
  return reply;
}

Reply Reply::Fail(int status, ErrorInfo error) {
  Reply reply;
  reply.kind_ = Kind::kRespond;
  reply.status_ = status;
  reply.error_ = std::move(error);
  return reply;
}

Reply Reply::BadRequest(std::string error_code, std::string message) {
  return Fail(400, ErrorInfo{std::move(error_code), std::move(message), {}, false});
}

Reply Reply::NotFound(std::string error_code, std::string message) {
  return Fail(404, ErrorInfo{std::move(error_code), std::move(message), {}, false});
}

Reply Reply::Start(Work work, std::string display_name) {
  Reply reply;
  reply.kind_ = Kind::kStart;
  reply.status_ = 202;
  reply.work_ = std::move(work);
  reply.display_name_ = std::move(display_name);
  return reply;
}

}  // namespace lro::server
