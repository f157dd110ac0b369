// The text of the progress display, as pure functions of the state and the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "lro/operation_state.h"

namespace lro::cli {

// "[#########-----------]" for `percent` (clamped to 0–100) over `cells` cells.
[[nodiscard]] std::string RenderBar(int percent, int cells);

// The live line drawn on a terminal, at most `width - 1` characters, no control characters:
//   "Running [#########-----------]  45%  0:12  next poll in 3s"
// The bar shows only when the service reports a percentage; `next_poll_in` is nullopt while a
// request is in flight ("polling").
[[nodiscard]] std::string RenderProgressLine(const OperationState& state,
                                             std::chrono::milliseconds elapsed,
                                             std::optional<std::chrono::milliseconds> next_poll_in,
                                             std::size_t width);

// The line written for each state change off a terminal: "Running 45% (0:12)".
[[nodiscard]] std::string RenderStateLine(const OperationState& state,
                                          std::chrono::milliseconds elapsed);

}  // namespace lro::cli
