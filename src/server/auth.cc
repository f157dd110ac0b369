#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "lro/server/server.h"

namespace lro::server {

StatusOr<std::map<std::string, std::string>> LoadBearerTokens(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status(StatusCode::kInvalidArgument, "cannot read the token file " + path);
  std::stringstream text;
  text << file.rdbuf();
  boost::system::error_code ec;
  const auto value = boost::json::parse(text.str(), ec);
  auto invalid = [&](std::string why) {
    return Status(
        StatusCode::kInvalidArgument,
        path + ": " + std::move(why) + R"( (expected {"tokens": {"<token>": "<principal>"}}))");
  };
  if (ec) return invalid("not JSON: " + ec.message());
  if (!value.is_object()) return invalid("not an object");
  const auto* tokens = value.get_object().if_contains("tokens");
  if (tokens == nullptr || !tokens->is_object()) return invalid("no \"tokens\" object");
  std::map<std::string, std::string> out;
  for (const auto& [token, principal] : tokens->get_object()) {
    if (!principal.is_string() || principal.get_string().empty()) {
      return invalid("the principal of a token is not a non-empty string");
    }
    if (token.size() < 8) return invalid("a token is shorter than 8 characters");
    out.emplace(std::string(token), std::string(principal.get_string()));
  }
  if (out.empty()) return invalid("no tokens");
  return out;
}

}  // namespace lro::server
