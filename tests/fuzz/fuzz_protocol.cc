// The protocol machine against a hostile server: the input is a script of responses (status,
// headers, body). Whatever they say, the operation ends (no hang, no busy loop: each request
// consumes one response and the script is finite), never crashes, and the credential never
// reaches another origin.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "client/protocol/url.h"
#include "lro/client.h"
#include "lro/testing/fake_clock.h"
#include "lro/testing/scripted_transport.h"

namespace {

// Reads up to the next '\x00' (or the end).
std::string_view Take(std::string_view& input) {
  const auto end = input.find('\0');
  const std::string_view part = input.substr(0, end);
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  const auto method_index = static_cast<unsigned char>(input.front()) % 4;
  input.remove_prefix(1);
  auto transport = std::make_shared<lro::testing::ScriptedTransport>();
  int responses = 0;
  while (!input.empty() && responses < 64) {
    // [status byte][name\0value\0 … \0][body\0]
    static constexpr int kStatuses[] = {200, 201, 202, 204, 400, 404, 408, 429, 500, 503};
    const int status = kStatuses[static_cast<unsigned char>(input.front()) % 10];
    input.remove_prefix(1);
    lro::Headers headers;
    while (!input.empty()) {
      const std::string_view name = Take(input);
      if (name.empty()) break;
      headers.push_back({std::string(name), std::string(Take(input))});
    }
    transport->Then(status, std::move(headers), std::string(Take(input)));
    ++responses;
  }
  lro::ClientOptions options;
  options.transport = transport;
  options.clock = std::make_shared<lro::testing::FakeClock>();
  options.random_seed = 1;
  options.credentials = [] {
    return lro::StatusOr<lro::Headers>(lro::Headers{{"Authorization", "Bearer fuzz"}});
  };
  lro::Client client(options);
  static constexpr const char* kMethods[] = {"PUT", "POST", "PATCH", "DELETE"};
  auto poller = client.Start(
      lro::Request(kMethods[method_index], "https://origin.test/things/1?api-version=1")
          .Json("{}"));
  (void)poller.Wait();
  (void)poller.ResumeToken();
  for (const auto& request : transport->requests()) {
    if (lro::internal::Origin(request.url) != "https://origin.test" &&
        lro::FindHeader(request.headers, "Authorization")) {
      std::abort();  // a credential left its origin
    }
  }
  return 0;
}
