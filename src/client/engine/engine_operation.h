// An HTTP operation driven by the engine. Declared apart from engine.cc so that the client
// can start one without including Asio. Internal: subject to change.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>

#include "client/protocol/client_context.h"
#include "client/protocol/lro_machine.h"
#include "lro/engine.h"
#include "lro/poller.h"
#include "wire/thread_safety.h"

namespace lro::internal {

class EngineImpl;

std::shared_ptr<EngineImpl> MakeEngineImpl(const EngineOptions& options);
void ShutdownEngine(EngineImpl& engine);
Engine::Stats StatsOf(EngineImpl& engine);
void SetRecordLateness(EngineImpl& engine, bool on);
std::vector<std::int64_t> LatenessOf(const EngineImpl& engine);

// Every public method may be called from any thread; the rest runs on the engine's thread.
class EngineOperation : public std::enable_shared_from_this<EngineOperation> {
 public:
  EngineOperation(std::shared_ptr<EngineImpl> engine, std::shared_ptr<const ClientContext> context,
                  LroMachine machine, Completion done, ProgressCallback progress);

  // Hands the operation to the engine, which sends its first request as soon as it is due.
  void Begin();

  [[nodiscard]] bool IsDone() const;
  [[nodiscard]] OperationState State() const;
  void Stop();
  void Cancel(std::function<void(Status)> done);
  [[nodiscard]] StatusOr<std::string> ResumeToken() const;
  // Made on first use: an operation nobody asks a future of pays for none (a promise's
  // set_value costs an allocation, a copy of the result and a futex syscall).
  [[nodiscard]] std::shared_future<StatusOr<Result>> Future() const;
  void AddProgress(ProgressCallback callback);
  void Then(Completion continuation);
  [[nodiscard]] std::string OperationId() const;
  [[nodiscard]] std::string MonitorUrl() const;
  [[nodiscard]] std::string PollingModeName() const;

  // Engine thread only, below.
  void OnTimer(std::uint64_t generation);
  // Sends the request the operation needs now (the engine calls it when a slot is free).
  void SendPending();
  void Finish(StatusOr<Result> outcome);
  // Its index in the engine's list of running operations while it is in it, else npos.
  std::size_t running_slot = static_cast<std::size_t>(-1);

 private:
  enum class KickReason { kOther, kAnswered };
  // What the operation does next: end with its outcome, or send its pending request now or at
  // `at`.
  struct NextStep {
    std::optional<StatusOr<Result>> outcome;
    bool due_now = false;
    MonotonicTime at;
  };
  [[nodiscard]] NextStep ReadNextStep(MonotonicTime now) const LRO_REQUIRES(mutex_);
  // Sends the next request now (when due), schedules it, or finishes the operation.
  void Kick(KickReason reason = KickReason::kOther);
  // As Kick, with the step already read at `now`.
  void Proceed(NextStep step, KickReason reason, MonotonicTime now);
  void SendCancel(std::function<void(Status)> done);
  void OnAnswer(const StatusOr<HttpResponse>& answer);
  // The outcome once Finish has run, else nullopt.
  [[nodiscard]] std::optional<StatusOr<Result>> OutcomeIfEnded() const;
  // The outcome. REQUIRES: ended_.
  [[nodiscard]] StatusOr<Result> EndedOutcome() const LRO_REQUIRES(mutex_);
  // Sends `request` through the client's transport: the engine's libcurl, or a transport the
  // client was given (called inline: meant for scripted tests).
  void Dispatch(std::uint64_t id, HttpRequest request,
                std::function<void(StatusOr<HttpResponse>)> answer);

  std::shared_ptr<EngineImpl> engine_;
  std::shared_ptr<const ClientContext> context_;
  Completion done_;
  ProgressCallback progress_;

  // The engine thread changes machine_, any thread may read it.
  mutable Mutex mutex_;
  LroMachine machine_ LRO_GUARDED_BY(mutex_);
  // Finish has run. The outcome is then the machine's, or ended_early_ when the operation
  // ended before its machine did (stopped, shut down).
  bool ended_ LRO_GUARDED_BY(mutex_) = false;
  Status ended_early_ LRO_GUARDED_BY(mutex_);
  // Future(): made on first use, set by Finish.
  mutable std::optional<std::promise<StatusOr<Result>>> promise_ LRO_GUARDED_BY(mutex_);
  mutable std::shared_future<StatusOr<Result>> future_ LRO_GUARDED_BY(mutex_);

  // Engine thread only.
  std::uint64_t generation_ = 0;  // bumped to invalidate a scheduled timer
  std::uint64_t transfer_ = 0;    // the poll in flight, 0 if none
  bool holds_held_poll_ = false;  // the poll in flight asked to be held (Prefer: wait)
  bool finished_ = false;         // the completion has run
  // Requests sent in a row, each as soon as the previous one's answer came (see Kick).
  static constexpr int kRequestsInARow = 16;
  int requests_in_a_row_ = 0;
  // A Cancel() that came before the start was answered: sent once it is.
  std::function<void(Status)> deferred_cancel_;
  bool cancel_deferred_ = false;
};

}  // namespace lro::internal
