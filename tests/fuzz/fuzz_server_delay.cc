// Retry-After and friends: whatever the value, a delay within [0, cap] or no hint.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "client/policies/delay.h"
#include "wire/http_date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  const auto cap = std::chrono::milliseconds(3'600'000);
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1704067200}};
  for (const char* name : {"Retry-After", "retry-after-ms", "x-ms-retry-after-ms"}) {
    const auto delay = lro::internal::ParseServerDelay({{name, value}}, now, cap);
    if (delay && (delay->count() < 0 || *delay > cap)) std::abort();
  }
  (void)lro::wire::ParseHttpDate(value);
  return 0;
}
