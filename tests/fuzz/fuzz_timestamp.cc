// Fabric / Azure date-times: any input parses or is rejected, never crashes.
#include <cstdint>
#include <string_view>

#include "lro/operation_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)lro::ParseTimestamp(text);
  (void)lro::ClassifyStatus(text);
  return 0;
}
