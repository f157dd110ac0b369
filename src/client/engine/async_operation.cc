// The public faces of the engine: Engine, AsyncOperation and the benchmark hooks, over their
// internal halves.
#include "client/engine/engine_operation.h"
#include "lro/bench.h"
#include "lro/engine.h"

namespace lro {

namespace internal {
struct EngineAccess {
  static EngineImpl& Of(const Engine& engine) { return *engine.impl_; }
};
}  // namespace internal

Engine::Engine(const EngineOptions& options) : impl_(internal::MakeEngineImpl(options)) {}
Engine::~Engine() { internal::ShutdownEngine(*impl_); }
Engine::Stats Engine::stats() const { return internal::StatsOf(*impl_); }

namespace bench {
void RecordLateness(Engine& engine, bool on) {
  internal::SetRecordLateness(internal::EngineAccess::Of(engine), on);
}
std::vector<std::int64_t> Lateness(const Engine& engine) {
  return internal::LatenessOf(internal::EngineAccess::Of(engine));
}
}  // namespace bench

namespace {
Status Detached() {
  return Status(StatusCode::kFailedPrecondition, "this AsyncOperation refers to no operation");
}
}  // namespace

bool AsyncOperation::IsDone() const { return operation_ && operation_->IsDone(); }

OperationState AsyncOperation::State() const {
  return operation_ ? operation_->State() : OperationState{};
}

void AsyncOperation::Stop() const {
  if (operation_) operation_->Stop();
}

void AsyncOperation::Cancel(std::function<void(Status)> done) const {
  if (operation_) {
    operation_->Cancel(std::move(done));
  } else if (done) {
    done(Detached());
  }
}

StatusOr<std::string> AsyncOperation::ResumeToken() const {
  if (!operation_) return Detached();
  return operation_->ResumeToken();
}

void AsyncOperation::Then(Completion continuation) const {
  if (operation_) {
    operation_->Then(std::move(continuation));
  } else if (continuation) {
    continuation(Detached());
  }
}

void AsyncOperation::OnProgress(std::function<void(const OperationState& state)> callback) const {
  if (operation_) operation_->AddProgress(std::move(callback));
}

std::string AsyncOperation::OperationId() const {
  return operation_ ? operation_->OperationId() : std::string();
}

std::string AsyncOperation::MonitorUrl() const {
  return operation_ ? operation_->MonitorUrl() : std::string();
}

std::string AsyncOperation::PollingModeName() const {
  return operation_ ? operation_->PollingModeName() : std::string();
}

std::shared_future<StatusOr<Result>> AsyncOperation::Future() const {
  if (operation_) return operation_->Future();
  std::promise<StatusOr<Result>> promise;
  promise.set_value(Detached());
  return promise.get_future().share();
}

}  // namespace lro
