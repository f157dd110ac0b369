// An operation that is not HTTP, driven by the same Poller: here, a countdown that "finishes"
// after a few polls. Anything with a state you can refresh fits: a job queue, a file that
// appears, a database row.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "lro/poller.h"

namespace {

class Countdown final : public lro::Operation {
 public:
  explicit Countdown(int steps) : remaining_(steps), total_(steps) {
    state_.status = lro::ClassifyStatus("Running");
  }

  lro::Status Poll(const lro::CancellationToken& /*cancel*/) override {
    --remaining_;
    state_.percent_complete = 100 * (total_ - remaining_) / total_;
    if (remaining_ == 0) state_.status = lro::ClassifyStatus("Succeeded");
    next_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    return {};
  }
  [[nodiscard]] lro::MonotonicTime next_poll_at() const override { return next_; }
  [[nodiscard]] bool done() const override { return remaining_ == 0; }
  [[nodiscard]] const lro::OperationState& state() const override { return state_; }
  [[nodiscard]] lro::StatusOr<lro::Result> outcome() const override {
    if (!done()) return lro::Status(lro::StatusCode::kFailedPrecondition, "not done");
    return lro::Result{true, 0, "text/plain", "liftoff"};
  }
  lro::Status Cancel(const lro::CancellationToken& /*cancel*/) override {
    return lro::Status(lro::StatusCode::kFailedPrecondition, "a countdown cannot be cancelled");
  }
  [[nodiscard]] lro::StatusOr<std::string> ResumeToken() const override {
    return R"({"lro":"resume-token","version":1,"kind":"countdown","remaining":)" +
           std::to_string(remaining_) + "}";
  }

 private:
  int remaining_;
  int total_;
  lro::OperationState state_;
  lro::MonotonicTime next_{};
};

}  // namespace

int main() {
  lro::Poller poller(std::make_unique<Countdown>(5), lro::SystemClock());
  poller.OnProgress([](const lro::OperationState& state) {
    std::cout << state.status.raw << " " << state.percent_complete.value_or(0) << "%\n";
  });
  auto result = poller.Wait();
  std::cout << (result.ok() ? result->body : result.status().ToString()) << "\n";
  return result.ok() ? 0 : 1;
}
