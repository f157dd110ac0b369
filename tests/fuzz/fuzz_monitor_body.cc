// A status monitor's body, read two ways: ScanMonitorBody (from the text, no DOM) against
// ReadMonitorBody of the parsed body. Whatever the text, they agree on whether it is JSON,
// and every reading the scan gives is the DOM's reading.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/protocol/answers.h"
#include "client/protocol/monitor_body.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto scanned = lro::internal::ScanMonitorBody(text);
  const auto body = lro::internal::ParseBody(text);
  if ((scanned.outcome == lro::internal::MonitorScan::kNotJson) != !body.has_value()) {
    std::abort();  // the two disagree on what is JSON
  }
  if (scanned.outcome != lro::internal::MonitorScan::kRead) return 0;
  const auto read = lro::internal::ReadMonitorBody(*body);
  if (!read.ok()) std::abort();  // the scan read what the DOM refuses
  const auto& got = scanned.reading;
  if (!(got.status == read->status) || got.id != read->id ||
      got.percent_complete != read->percent_complete || got.created != read->created ||
      got.last_updated != read->last_updated || got.has_error != read->has_error ||
      got.error.has_value() != read->error.has_value()) {
    std::abort();  // the scan read something else than the DOM
  }
  return 0;
}
