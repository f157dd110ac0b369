#include "progress_line.h"

#include <algorithm>

#include "format.h"

namespace lro::cli {
namespace {

constexpr int kBarCells = 24;
// Below this width the bar is left out so the rest still fits on one line.
constexpr std::size_t kMinWidthForBar = 60;

std::string StatusWithNote(const OperationState& state) {
  std::string text = StatusText(state.status);
  if (!state.status.known && !state.status.raw.empty()) text += " (unknown status)";
  return text;
}

std::string CountDown(std::chrono::milliseconds remaining) {
  // Rounded up: whole seconds from 1 s, tenths below ("next poll in 0.3s").
  const long long ms = std::max<long long>(1, remaining.count());
  if (ms > 900) return "next poll in " + std::to_string((ms + 999) / 1000) + "s";
  return "next poll in 0." + std::to_string((ms + 99) / 100) + "s";
}

}  // namespace

// Strings here are built with append, not `" " + std::string(…)`: g++ 12 at -O3 takes an
// insertion at the front of a temporary for an overlapping memcpy (-Wrestrict, GCC bug 105651).
std::string RenderBar(int percent, int cells) {
  const int clamped = std::clamp(percent, 0, 100);
  const int filled = clamped * cells / 100;
  std::string bar = "[";
  bar.append(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(cells - filled), '-');
  return bar + "]";
}

std::string RenderProgressLine(const OperationState& state, std::chrono::milliseconds elapsed,
                               std::optional<std::chrono::milliseconds> next_poll_in,
                               std::size_t width) {
  std::string line = StatusWithNote(state);
  if (state.percent_complete) {
    if (width >= kMinWidthForBar) {
      line.append(" ").append(RenderBar(*state.percent_complete, kBarCells));
    }
    line.append(" ")
        .append(std::to_string(std::clamp(*state.percent_complete, 0, 100)))
        .append("%");
  }
  line.append("  ").append(FormatElapsed(elapsed));
  if (!state.done()) {
    line += "  ";
    line += next_poll_in ? CountDown(*next_poll_in) : std::string("polling");
  }
  if (width > 0 && line.size() > width - 1) line.resize(width - 1);
  return line;
}

std::string RenderStateLine(const OperationState& state, std::chrono::milliseconds elapsed) {
  std::string line = StatusWithNote(state);
  if (state.percent_complete) {
    line.append(" ")
        .append(std::to_string(std::clamp(*state.percent_complete, 0, 100)))
        .append("%");
  }
  return line.append(" (").append(FormatElapsed(elapsed)).append(")");
}

}  // namespace lro::cli
