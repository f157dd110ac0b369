#include "lro/cancellation.h"

#include <map>
#include <utility>
#include <vector>

#include "wire/thread_safety.h"

namespace lro {
namespace internal {

struct CancellationState {
  Mutex mutex;
  bool cancelled LRO_GUARDED_BY(mutex) = false;
  std::uint64_t next_id LRO_GUARDED_BY(mutex) = 1;
  std::map<std::uint64_t, std::function<void()>> callbacks LRO_GUARDED_BY(mutex);
};

}  // namespace internal

CancellationSource::CancellationSource()
    : state_(std::make_shared<internal::CancellationState>()) {}

void CancellationSource::Cancel() const {
  std::map<std::uint64_t, std::function<void()>> callbacks;
  {
    MutexLock lock(state_->mutex);
    if (state_->cancelled) return;
    state_->cancelled = true;
    callbacks.swap(state_->callbacks);
  }
  for (auto& [id, callback] : callbacks) callback();
}

bool CancellationSource::cancelled() const {
  MutexLock lock(state_->mutex);
  return state_->cancelled;
}

CancellationToken CancellationSource::token() const { return CancellationToken(state_); }

bool CancellationToken::cancelled() const {
  if (!state_) return false;
  MutexLock lock(state_->mutex);
  return state_->cancelled;
}

CancellationToken::Registration CancellationToken::OnCancel(std::function<void()> callback) const {
  Registration registration;
  if (!state_) return registration;
  {
    MutexLock lock(state_->mutex);
    if (!state_->cancelled) {
      registration.state_ = state_;
      registration.id_ = state_->next_id++;
      state_->callbacks.emplace(registration.id_, std::move(callback));
      return registration;
    }
  }
  callback();
  return registration;
}

CancellationToken::Registration& CancellationToken::Registration::operator=(
    Registration&& other) noexcept {
  if (this != &other) {
    Registration old(std::move(*this));
    state_ = std::move(other.state_);
    id_ = other.id_;
  }
  return *this;
}

CancellationToken::Registration::~Registration() {
  if (!state_) return;
  MutexLock lock(state_->mutex);
  state_->callbacks.erase(id_);
}

}  // namespace lro
