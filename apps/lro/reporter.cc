#include "reporter.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "format.h"
#include "progress_line.h"

namespace lro::cli {
namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr std::size_t kDefaultWidth = 80;
// Carriage return, then "erase to end of line": redraws the live line in place.
constexpr std::string_view kReturnAndClear = "\r\x1b[K";

void WriteStderr(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::size_t TerminalWidth() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return kDefaultWidth;
}

// {"event": name, …fields}: the event's name first, for people reading the stream.
boost::json::object EventObject(std::string_view name, boost::json::object fields) {
  boost::json::object event;
  event.reserve(fields.size() + 1);
  event["event"] = name;
  for (auto& field : fields) event.emplace(field.key(), std::move(field.value()));
  return event;
}

}  // namespace

DisplayMode ChooseDisplayMode(bool quiet, bool json) {
  if (json) return DisplayMode::kJson;
  if (quiet) return DisplayMode::kQuiet;
  const char* term = std::getenv("TERM");
  const bool dumb = term != nullptr && std::strcmp(term, "dumb") == 0;
  return isatty(STDERR_FILENO) == 1 && !dumb ? DisplayMode::kTerminal : DisplayMode::kPlain;
}

Reporter::Reporter(DisplayMode mode, bool verbose, std::shared_ptr<const ObservingClock> clock)
    : mode_(mode), verbose_(verbose), clock_(std::move(clock)) {}

Reporter::~Reporter() {
  {
    MutexLock lock(mutex_);
    ticker_stop_ = true;
  }
  ticker_wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::chrono::milliseconds Reporter::Elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               wait_started_);
}

void Reporter::BeginWait(const OperationState& initial) {
  {
    MutexLock lock(mutex_);
    wait_started_ = std::chrono::steady_clock::now();
    waiting_ = true;
    ticker_stop_ = false;
  }
  OnState(initial);
  if (mode_ == DisplayMode::kTerminal && !ticker_.joinable()) {
    ticker_ = std::thread([this] { Tick(); });
  }
}

void Reporter::OnState(const OperationState& state) {
  MutexLock lock(mutex_);
  state_ = state;
  if (mode_ == DisplayMode::kTerminal) {
    if (waiting_) DrawLocked();
    return;
  }
  if (mode_ != DisplayMode::kPlain && mode_ != DisplayMode::kJson) return;
  // Nothing said yet (a 202 without a body, a resumed operation before its first poll).
  if (state.status.raw.empty() && !state.percent_complete) return;
  auto key = std::make_pair(state.status.raw, state.percent_complete);
  if (last_reported_ == key) return;
  last_reported_ = std::move(key);
  if (mode_ == DisplayMode::kPlain) {
    WriteLineLocked("lro: " + RenderStateLine(state, Elapsed()));
    return;
  }
  boost::json::object event = EventObject("state", StateToJson(state));
  event["elapsedMs"] = Elapsed().count();
  WriteLineLocked(boost::json::serialize(event));
}

void Reporter::EndWait(const OperationState& last) {
  {
    MutexLock lock(mutex_);
    waiting_ = false;
    ticker_stop_ = true;
  }
  ticker_wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  MutexLock lock(mutex_);
  if (mode_ == DisplayMode::kTerminal) {
    ClearLiveLineLocked();
    WriteLineLocked(RenderStateLine(last, Elapsed()));
  }
}

void Reporter::OnLog(LogLevel level, std::string_view message) {
  if (level == LogLevel::kDebug && !verbose_) return;
  MutexLock lock(mutex_);
  switch (mode_) {
    case DisplayMode::kQuiet:
      return;
    case DisplayMode::kJson:
      WriteLineLocked(boost::json::serialize(boost::json::object{
          {"event", "log"}, {"level", LogLevelName(level)}, {"message", message}}));
      return;
    case DisplayMode::kPlain:
    case DisplayMode::kTerminal:
      switch (level) {
        case LogLevel::kDebug:
          WriteLineLocked("* " + std::string(message));
          break;
        case LogLevel::kInfo:
          WriteLineLocked("lro: " + std::string(message));
          break;
        case LogLevel::kWarning:
        case LogLevel::kError:
          WriteLineLocked("lro: " + std::string(LogLevelName(level)) + ": " + std::string(message));
          break;
      }
      return;
  }
}

void Reporter::Notice(std::string_view text) {
  if (mode_ != DisplayMode::kPlain && mode_ != DisplayMode::kTerminal) return;
  MutexLock lock(mutex_);
  WriteLineLocked("lro: " + std::string(text));
}

void Reporter::Error(const Status& status) {
  MutexLock lock(mutex_);
  if (mode_ == DisplayMode::kJson) {
    WriteLineLocked(boost::json::serialize(EventObject("error", ErrorToJson(status))));
    return;
  }
  WriteLineLocked("lro: " + DescribeError(status));
  if (verbose_) {
    for (const std::string& line : ErrorDetails(status)) WriteLineLocked(line);
  }
}

void Reporter::Problem(std::string_view text) {
  if (mode_ == DisplayMode::kJson) return;
  MutexLock lock(mutex_);
  WriteLineLocked("lro: " + std::string(text));
}

void Reporter::Event(std::string_view name, boost::json::object fields) {
  if (mode_ != DisplayMode::kJson) return;
  MutexLock lock(mutex_);
  WriteLineLocked(boost::json::serialize(EventObject(name, std::move(fields))));
}

void Reporter::WriteLineLocked(std::string_view text) {
  ClearLiveLineLocked();
  std::string line(text);
  line += '\n';
  WriteStderr(line);
}

void Reporter::ClearLiveLineLocked() {
  if (drawn_.empty()) return;
  WriteStderr(kReturnAndClear);
  drawn_.clear();
}

void Reporter::DrawLocked() {
  if (!state_) return;
  std::optional<std::chrono::milliseconds> next_poll_in;
  if (auto until = clock_->SleepingUntil()) {
    next_poll_in = std::chrono::duration_cast<std::chrono::milliseconds>(
        *until - std::chrono::steady_clock::now());
  }
  std::string line = RenderProgressLine(*state_, Elapsed(), next_poll_in, TerminalWidth());
  if (line == drawn_) return;
  std::string out(kReturnAndClear);
  out += line;
  WriteStderr(out);
  drawn_ = std::move(line);
}

void Reporter::Tick() {
  MutexLock lock(mutex_);
  while (!ticker_stop_) {
    DrawLocked();
    lock.WaitFor(ticker_wake_, kTickInterval, [this] {
      mutex_.AssertHeld();
      return ticker_stop_;
    });
  }
}

}  // namespace lro::cli
