// Everything `lro` says on stderr: the progress display, notices, log lines and errors, in
// one of four modes. Thread-safe: the poller's callbacks, the library's log and the ticker
// that redraws the live line may call it from different threads.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "lro/log.h"
#include "lro/operation_state.h"
#include "lro/status.h"
#include "observing_clock.h"
#include "wire/thread_safety.h"

namespace lro::cli {

enum class DisplayMode {
  kQuiet,     // -q: errors only
  kPlain,     // stderr is not a terminal: one line per state change, no control characters
  kTerminal,  // stderr is a terminal: one live line redrawn in place
  kJson,      // --json: one JSON object per line
};

// -q and --json win; otherwise a terminal (isatty(2), TERM not "dumb") gets the live line.
[[nodiscard]] DisplayMode ChooseDisplayMode(bool quiet, bool json);

class Reporter {
 public:
  Reporter(DisplayMode mode, bool verbose, std::shared_ptr<const ObservingClock> clock);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;
  Reporter(Reporter&&) = delete;
  Reporter& operator=(Reporter&&) = delete;

  [[nodiscard]] DisplayMode mode() const { return mode_; }

  // Starts showing a wait: elapsed time counts from here; on a terminal a ticker redraws the
  // live line every 100 ms (the countdown to the next poll moves between polls).
  void BeginWait(const OperationState& initial);
  // A state reported by the poller (the OnProgress callback).
  void OnState(const OperationState& state);
  // Ends the live display; a terminal keeps the last state as an ordinary line.
  void EndWait(const OperationState& last);

  // A line of the library's log (LogSink).
  void OnLog(LogLevel level, std::string_view message);
  // A remark for people ("lro: …"); silent with -q and --json.
  void Notice(std::string_view text);
  // Why the command failed: "lro: <cause>" (details with -v), or an "error" event.
  void Error(const Status& status);
  // Why the command ended early ("lro: <text>"), shown even with -q; nothing with --json
  // (the caller sends an event instead).
  void Problem(std::string_view text);
  // A JSON event line ({"event": name, …fields}); only in --json mode.
  void Event(std::string_view name, boost::json::object fields = {});

 private:
  // Writes text to stderr, clearing the live line first.
  void WriteLineLocked(std::string_view text) LRO_REQUIRES(mutex_);
  void DrawLocked() LRO_REQUIRES(mutex_);
  void ClearLiveLineLocked() LRO_REQUIRES(mutex_);
  void Tick() LRO_EXCLUDES(mutex_);
  [[nodiscard]] std::chrono::milliseconds Elapsed() const LRO_REQUIRES(mutex_);

  const DisplayMode mode_;
  const bool verbose_;
  const std::shared_ptr<const ObservingClock> clock_;

  Mutex mutex_;
  MonotonicTime wait_started_ LRO_GUARDED_BY(mutex_) = {};
  std::optional<OperationState> state_ LRO_GUARDED_BY(mutex_);
  // The last (status, percent) written off a terminal, to write only changes.
  std::optional<std::pair<std::string, std::optional<int>>> last_reported_ LRO_GUARDED_BY(mutex_);
  std::string drawn_ LRO_GUARDED_BY(mutex_);  // the live line on screen now; empty when none
  bool waiting_ LRO_GUARDED_BY(mutex_) = false;

  std::condition_variable ticker_wake_;
  bool ticker_stop_ LRO_GUARDED_BY(mutex_) = false;
  std::thread ticker_;
};

}  // namespace lro::cli
