#include "inputs.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace lro::cli {
namespace {

StatusOr<std::string> ReadAll(const std::string& path) {
  if (path == "-") {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot read " + path + ": " + std::strerror(errno));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status(StatusCode::kInvalidArgument, "cannot read " + path);
  return bytes;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

StatusOr<std::string> ReadData(const std::string& data) {
  if (data.size() > 1 && data[0] == '@') return ReadAll(data.substr(1));
  return data;
}

StatusOr<Header> ParseHeader(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view name = colon == std::string_view::npos ? "" : Trim(text.substr(0, colon));
  if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument,
                  "-H expects 'Name: value', got '" + std::string(text) + "'");
  }
  return Header{std::string(name), std::string(Trim(text.substr(colon + 1)))};
}

StatusOr<Target> ResolveTarget(const std::string& target) {
  std::string text = target;
  if (target == "-" || (target.size() > 1 && target[0] == '@')) {
    auto read = ReadAll(target == "-" ? "-" : target.substr(1));
    if (!read.ok()) return read.status();
    text = std::string(Trim(*read));
  }
  if (!text.empty() && text.front() == '{') return Target{Target::Kind::kResumeToken, text};
  if (StartsWithNoCase(text, "http://") || StartsWithNoCase(text, "https://")) {
    return Target{Target::Kind::kMonitorUrl, text};
  }
  return Status(StatusCode::kInvalidArgument,
                "expected a resume token ({...}), @FILE, - (stdin) or an http(s) URL of a status "
                "monitor");
}

}  // namespace lro::cli
