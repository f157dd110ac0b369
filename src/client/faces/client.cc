#include "lro/client.h"

#include <algorithm>
#include <random>
#include <utility>

#include "client/engine/engine_operation.h"
#include "client/faces/http_operation.h"
#include "client/protocol/lro_machine.h"
#include "client/protocol/url.h"
#include "wire/thread_safety.h"
#include "wire/uuid.h"

namespace lro {

struct Client::Shared {
  std::shared_ptr<const internal::ClientContext> context;
  ClientOptions options;
  Mutex seed_mutex;
  std::mt19937_64 seeds LRO_GUARDED_BY(seed_mutex);
  Mutex config_mutex;
  internal::SharedMachineConfig last_config LRO_GUARDED_BY(config_mutex);
  internal::IdSource new_id;

  Mutex engine_mutex;
  std::shared_ptr<Engine> engine LRO_GUARDED_BY(engine_mutex);

  Engine& engine_for_async() {
    MutexLock lock(engine_mutex);
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
    MutexLock lock(config_mutex);
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
    config->new_id = new_id;
    config->logger = context->logger;
    last_config = std::move(config);
    return last_config;
  }

  std::uint64_t NextSeed() {
    MutexLock lock(seed_mutex);
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

// Repeatability-Request-IDs: from the kernel's CSPRNG, never repeated across processes (ids
// drawn from ClientOptions::random_seed alone would repeat in every process given the same
// seed, and a server takes a repeated id for a replay). In fuzzing builds they come from
// `seed` alone instead: every run of an input must take the same paths.
internal::IdSource NewIdSource([[maybe_unused]] std::uint64_t seed) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  struct Seeded {
    Mutex mutex;
    std::mt19937_64 random LRO_GUARDED_BY(mutex);
  };
  auto seeded = std::make_shared<Seeded>();
  {
    MutexLock lock(seeded->mutex);  // not shared yet: for the analysis
    seeded->random.seed(seed);
  }
  return [seeded] {
    MutexLock lock(seeded->mutex);
    wire::UuidBytes bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(seeded->random() & 0xFFU);
    return wire::UuidV4(bytes);
  };
#else
  return wire::RandomUuid;
#endif
}

// Whether an operation can start from `request` with `options`: the one check of Start and
// StartAsync. kInvalidArgument naming what is wrong.
Status ValidateStart(const HttpRequest& request, const OperationOptions& options) {
  if (Status valid = internal::ValidateAbsoluteUrl(request.url); !valid.ok()) return valid;
  if (options.cancel_style == CancelStyle::kCustom &&
      (!options.cancel_request ||
       !internal::ValidateAbsoluteUrl(options.cancel_request->url).ok())) {
    return Status(StatusCode::kInvalidArgument,
                  "CancelStyle::kCustom needs a cancel_request with an absolute URL");
  }
  return Status();
}

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
  shared_->new_id = NewIdSource(options.random_seed);
  shared_->engine = options.engine;
  shared_->options = std::move(options);
}

Poller Client::Start(const Request& request, const OperationOptions& options,
                     const CancellationToken& cancel) {
  if (Status valid = ValidateStart(request.http(), options); !valid.ok()) {
    return Poller(std::make_unique<FailedOperation>(std::move(valid)), shared_->context->clock);
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
  if (Status valid = ValidateStart(request.http(), options); !valid.ok()) {
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
