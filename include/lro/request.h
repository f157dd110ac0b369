// The request that starts an operation.
#pragma once

#include <string>
#include <utility>

#include "lro/http.h"

namespace lro {

// A small builder over HttpRequest:
//   lro::Request::Post(url).Json(R"({"displayName":"nb"})").Header("x-ms-client-request-id", id)
class Request {
 public:
  Request(std::string method, std::string url) {
    http_.method = std::move(method);
    http_.url = std::move(url);
  }
  static Request Get(std::string url) { return {"GET", std::move(url)}; }
  static Request Put(std::string url) { return {"PUT", std::move(url)}; }
  static Request Patch(std::string url) { return {"PATCH", std::move(url)}; }
  static Request Post(std::string url) { return {"POST", std::move(url)}; }
  static Request Delete(std::string url) { return {"DELETE", std::move(url)}; }

  // Adds a header; every later request of the operation carries it too (SPEC §3), except
  // body headers such as Content-Type, and credentials only where SPEC §8 allows.
  Request& Header(std::string name, std::string value) & {
    http_.headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  Request&& Header(std::string name, std::string value) && {
    return std::move(Header(std::move(name), std::move(value)));
  }
  // Sets the body; adds `Content-Type: application/json` unless a Content-Type is set.
  Request& Json(std::string body) &;
  Request&& Json(std::string body) && { return std::move(Json(std::move(body))); }
  // Sets the body as given.
  Request& Body(std::string body) & {
    http_.body = std::move(body);
    return *this;
  }
  Request&& Body(std::string body) && { return std::move(Body(std::move(body))); }

  [[nodiscard]] const HttpRequest& http() const { return http_; }

 private:
  HttpRequest http_;
};

}  // namespace lro
