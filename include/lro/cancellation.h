// Cooperative cancellation that a waiter can sleep on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace lro {

namespace internal {
struct CancellationState;
}  // namespace internal

class CancellationToken;

// Fires once; every token taken from it sees the cancellation. Thread-safe.
class CancellationSource {
 public:
  CancellationSource();
  // Idempotent. Runs the callbacks registered on its tokens, on this thread.
  void Cancel() const;
  [[nodiscard]] bool cancelled() const;
  [[nodiscard]] CancellationToken token() const;

 private:
  std::shared_ptr<internal::CancellationState> state_;
};

// A view of a source. A default-constructed token never fires. Cheap to copy. Thread-safe.
class CancellationToken {
 public:
  CancellationToken() = default;
  [[nodiscard]] bool cancelled() const;
  // False for a default-constructed token, which never fires: lets a caller skip watching it.
  [[nodiscard]] bool can_be_cancelled() const { return state_ != nullptr; }

  // Calls `callback` once when the token fires (at once if it already has) until the returned
  // registration is destroyed. The callback must not block.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&&) noexcept = default;
    Registration& operator=(Registration&&) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();

   private:
    friend class CancellationToken;
    std::shared_ptr<internal::CancellationState> state_;
    std::uint64_t id_ = 0;
  };
  [[nodiscard]] Registration OnCancel(std::function<void()> callback) const;

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<internal::CancellationState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::CancellationState> state_;
};

}  // namespace lro
