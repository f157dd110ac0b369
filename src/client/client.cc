#include "lro/client.h"

#include <algorithm>
#include <random>
#include <utility>

#include "client/engine_operation.h"
#include "client/http_operation.h"
#include "client/lro_machine.h"
#include "client/url.h"

namespace lro {

struct Client::Shared {
  std::shared_ptr<const internal::ClientContext> context;
  ClientOptions options;
  std::mutex seed_mutex;
  std::mt19937_64 seeds;
  std::mutex config_mutex;
  internal::SharedMachineConfig last_config;

  std::mutex engine_mutex;
  std::shared_ptr<Engine> engine;

  Engine& engine_for_async() {
    std::lock_guard lock(engine_mutex);
    if (!engine) {
      EngineOptions engine_options;
      engine_options.transport = options.curl;
      engine = std::make_shared<Engine>(std::move(engine_options));
    }
    return *engine;
  }

  // The configuration of operations started with `operation_options`: shared with the
  // previous operation when the options are the same (the usual case), so that 100,000
  // operations hold one copy.
  internal::SharedMachineConfig ConfigFor(const OperationOptions& operation_options) {
    std::lock_guard lock(config_mutex);
    if (last_config && last_config->options == operation_options) return last_config;
    auto config = std::make_shared<internal::MachineConfig>();
    config->options = operation_options;
    config->polling = operation_options.polling.value_or(options.polling);
    // A held poll must end well before the transport gives up on it.
    config->polling.prefer_wait = std::min(
        config->polling.prefer_wait,
        std::chrono::duration_cast<std::chrono::seconds>(options.curl.request_timeout / 2));
    config->retry = operation_options.retry.value_or(options.retry);
    config->allowed_credential_hosts = options.allowed_credential_hosts;
    config->sensitive_headers = options.sensitive_headers;
    config->logger = context->logger;
    last_config = std::move(config);
    return last_config;
  }

  std::uint64_t NextSeed() {
    std::lock_guard lock(seed_mutex);
    return seeds();
  }

  internal::Instant Now() const {
    return internal::Instant{context->clock->Now(), context->clock->WallNow()};
  }

  // Hands `machine` to the engine. (A member of a friend of AsyncOperation and Engine, so
  // that client.h names no internal class.)
  AsyncOperation Launch(internal::LroMachine machine, Completion done, ProgressCallback progress) {
    Engine& loop = engine_for_async();
    auto operation = std::make_shared<internal::EngineOperation>(
        loop.impl_, context, std::move(machine), std::move(done), std::move(progress));
    operation->Begin();
    return AsyncOperation(std::move(operation));
  }

  Poller Make(internal::LroMachine machine) {
    return Poller(std::make_unique<internal::HttpOperation>(context, std::move(machine)),
                  context->clock);
  }
};

namespace {

// An operation that is over before it began: a start request that could not be sent.
class FailedOperation final : public Operation {
 public:
  explicit FailedOperation(Status error) : error_(std::move(error)) {
    state_.status = LroStatus{StatusKind::kFailed, "", false};
  }
  Status Poll(const CancellationToken&) override { return error_; }
  [[nodiscard]] MonotonicTime next_poll_at() const override { return {}; }
  [[nodiscard]] bool done() const override { return true; }
  [[nodiscard]] const OperationState& state() const override { return state_; }
  [[nodiscard]] StatusOr<Result> outcome() const override { return error_; }
  Status Cancel(const CancellationToken&) override { return Status(); }
  [[nodiscard]] StatusOr<std::string> ResumeToken() const override {
    return Status(StatusCode::kFailedPrecondition,
                  "the operation never started: " + error_.message());
  }

 private:
  Status error_;
  OperationState state_;
};

}  // namespace

Client::Client(ClientOptions options) : shared_(std::make_shared<Shared>()) {
  auto context = std::make_shared<internal::ClientContext>();
  context->custom_transport = options.transport != nullptr;
  context->async_transport = options.async_transport;
  context->transport = options.transport ? options.transport : MakeCurlTransport(options.curl);
  context->clock = options.clock ? options.clock : SystemClock();
  context->credentials = options.credentials;
  context->logger = internal::Logger(options.log, options.log_level);
  shared_->context = std::move(context);
  shared_->seeds.seed(options.random_seed != 0 ? options.random_seed : std::random_device{}());
  shared_->engine = options.engine;
  shared_->options = std::move(options);
}

Poller Client::Start(const Request& request, const OperationOptions& options,
                     const CancellationToken& cancel) {
  if (Status valid = internal::ValidateAbsoluteUrl(request.http().url); !valid.ok()) {
    return Poller(std::make_unique<FailedOperation>(std::move(valid)), shared_->context->clock);
  }
  if (options.cancel_style == CancelStyle::kCustom &&
      (!options.cancel_request ||
       !internal::ValidateAbsoluteUrl(options.cancel_request->url).ok())) {
    return Poller(std::make_unique<FailedOperation>(
                      Status(StatusCode::kInvalidArgument,
                             "CancelStyle::kCustom needs a cancel_request with an absolute URL")),
                  shared_->context->clock);
  }
  auto operation = std::make_unique<internal::HttpOperation>(
      shared_->context, internal::LroMachine(request.http(), shared_->ConfigFor(options),
                                             shared_->NextSeed(), shared_->Now()));
  // Send the initial request, retrying where that is safe, before handing out the poller.
  Clock& clock = *shared_->context->clock;
  while (operation->starting()) {
    if (operation->next_poll_at() > clock.Now() &&
        !clock.SleepUntil(operation->next_poll_at(), cancel)) {
      operation->Abandon(Status(StatusCode::kCancelled, "the start was cancelled"));
      break;
    }
    if (operation->Poll(cancel).code() == StatusCode::kCancelled) {
      operation->Abandon(Status(StatusCode::kCancelled, "the start was cancelled"));
    }
  }
  return Poller(std::move(operation), shared_->context->clock);
}

StatusOr<Poller> Client::Resume(std::string_view resume_token, const OperationOptions& options) {
  auto machine = internal::LroMachine::FromResumeToken(resume_token, shared_->ConfigFor(options),
                                                       shared_->NextSeed(), shared_->Now());
  if (!machine.ok()) return machine.status();
  return shared_->Make(std::move(*machine));
}

StatusOr<Poller> Client::Watch(std::string_view monitor_url, const OperationOptions& options) {
  if (Status valid = internal::ValidateAbsoluteUrl(monitor_url); !valid.ok()) return valid;
  return shared_->Make(internal::LroMachine::ForMonitor(
      std::string(monitor_url), shared_->ConfigFor(options), shared_->NextSeed(), shared_->Now()));
}

}  // namespace lro

namespace lro {

AsyncOperation Client::StartAsync(const Request& request, Completion done,
                                  const OperationOptions& options, ProgressCallback progress) {
  internal::LroMachine machine(request.http(), shared_->ConfigFor(options), shared_->NextSeed(),
                               shared_->Now());
  if (Status valid = internal::ValidateAbsoluteUrl(request.http().url); !valid.ok()) {
    machine.Abandon(std::move(valid));
  }
  return shared_->Launch(std::move(machine), std::move(done), std::move(progress));
}

StatusOr<AsyncOperation> Client::ResumeAsync(std::string_view resume_token, Completion done,
                                             const OperationOptions& options,
                                             ProgressCallback progress) {
  auto machine = internal::LroMachine::FromResumeToken(resume_token, shared_->ConfigFor(options),
                                                       shared_->NextSeed(), shared_->Now());
  if (!machine.ok()) return machine.status();
  return shared_->Launch(std::move(*machine), std::move(done), std::move(progress));
}

StatusOr<AsyncOperation> Client::WatchAsync(std::string_view monitor_url, Completion done,
                                            const OperationOptions& options,
                                            ProgressCallback progress) {
  if (Status valid = internal::ValidateAbsoluteUrl(monitor_url); !valid.ok()) return valid;
  return shared_->Launch(
      internal::LroMachine::ForMonitor(std::string(monitor_url), shared_->ConfigFor(options),
                                       shared_->NextSeed(), shared_->Now()),
      std::move(done), std::move(progress));
}

}  // namespace lro
