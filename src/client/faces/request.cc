#include "lro/request.h"

namespace lro {

Request& Request::Json(std::string body) & {
  http_.body = std::move(body);
  if (!FindHeader(http_.headers, "Content-Type")) {
    http_.headers.push_back({"Content-Type", "application/json"});
  }
  return *this;
}

}  // namespace lro
