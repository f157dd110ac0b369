// OpenStore: a store from its URL.

#include <array>
#include <string>

#include "lro/server/store.h"

namespace lro::server {
namespace {

// True when `text` starts like a URL: a letter, then letters, digits, '+', '-' or '.', then ':'.
// A plain path ("ops.db", "./a:b", "/var/lib/lrod.db") does not.
bool LooksLikeScheme(std::string_view text) {
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (text.empty() || !is_alpha(text.front())) return false;
  for (char c : text.substr(1)) {
    if (c == ':') return true;
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return true;
  // A libpq "keyword=value …" string starts with one of libpq's connection keywords.
  static constexpr std::array<std::string_view, 8> kKeywords = {
      "host", "hostaddr", "port", "dbname", "user", "password", "service", "sslmode"};
  const auto eq = url.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view keyword = url.substr(0, eq);
  while (!keyword.empty() && keyword.back() == ' ') keyword.remove_suffix(1);
  for (auto candidate : kKeywords) {
    if (keyword == candidate) return true;
  }
  return false;
}

StatusOr<std::shared_ptr<OperationStore>> OpenStore(std::string_view url,
                                                    SqliteStoreOptions sqlite_options) {
  if (IsPostgresUrl(url)) {
    PostgresStoreOptions options;
    options.synchronous_commit = sqlite_options.fsync;
    return OpenPostgresStore(std::string(url), options);
  }
  std::string_view path = url;
  if (path.starts_with("sqlite://")) {
    path.remove_prefix(9);
  } else if (path.starts_with("sqlite:")) {
    path.remove_prefix(7);
  } else if (LooksLikeScheme(path)) {
    // "sqlit:ops.db" is a typo, not a file name to create.
    return Status(
        StatusCode::kInvalidArgument,
        "unknown store URL scheme (expected sqlite:PATH or postgres://…): " + std::string(url));
  }
  if (path.empty()) return Status(StatusCode::kInvalidArgument, "sqlite: empty path");
  return OpenSqliteStore(std::string(path), sqlite_options);
}

}  // namespace lro::server
