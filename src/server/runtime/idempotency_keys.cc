// Idempotency keys (SPEC §7): the in-memory view of this replica (keys whose first request it
// has not answered yet, and recent ones), and what to answer when the store says another
// operation (maybe another replica's) holds the key: the store arbitrates, first writer wins.

#include <chrono>
#include <utility>

#include "runtime/live_op.h"
#include "runtime/runtime.h"

namespace lro::server::internal {
namespace {

// How long an answered key stays in memory after its last use.
constexpr std::chrono::minutes kAnsweredKeyMemory{10};

}  // namespace

Runtime::KeyDecision Runtime::ReserveKey(const std::string& principal, const KeySpec& key) {
  KeyDecision decision;
  decision.map_key.reserve(principal.size() + key.key.size() + 4);
  decision.map_key += principal;
  decision.map_key += '\n';
  decision.map_key += static_cast<char>('0' + static_cast<int>(key.kind));
  decision.map_key += '\n';
  decision.map_key += key.key;
  const std::int64_t now = NowMs();
  auto judge = [&](const KeyEntry& entry) {
    if (entry.fingerprint != key.fingerprint) {
      decision.state = KeyState::kConflict;
    } else if (!entry.answered) {
      decision.state = KeyState::kInFlight;
    } else {
      decision.state = KeyState::kReplay;
      decision.operation_id = entry.operation_id;
    }
  };
  {
    MutexLock lock(keys_mutex_);
    auto it = keys_.find(decision.map_key);
    if (it != keys_.end() && it->second.expires_ms > now) {
      it->second.touched = config_.clock->Now();
      judge(it->second);
      return decision;
    }
  }
  // Not in memory: the store knows keys of earlier runs and evicted ones.
  auto stored = store_->FindKey(principal, key.kind, key.key);
  MutexLock lock(keys_mutex_);
  auto it = keys_.find(decision.map_key);
  if (it != keys_.end() && it->second.expires_ms > now) {
    judge(it->second);
    return decision;
  }
  if (stored.ok() && *stored && (*stored)->expires_ms > now) {
    KeyEntry entry{(*stored)->fingerprint, (*stored)->operation_id, true, (*stored)->expires_ms,
                   config_.clock->Now()};
    judge(entry);
    keys_[decision.map_key] = std::move(entry);
    return decision;
  }
  keys_[decision.map_key] = KeyEntry{
      key.fingerprint, {}, false, now + config_.idempotency_window.count(), config_.clock->Now()};
  decision.state = KeyState::kReserved;
  return decision;
}

void Runtime::ReleaseKey(const std::string& map_key) {
  MutexLock lock(keys_mutex_);
  keys_.erase(map_key);
}

void Runtime::MarkKeyAnswered(const std::string& map_key) {
  MutexLock lock(keys_mutex_);
  if (auto it = keys_.find(map_key); it != keys_.end()) {
    it->second.answered = true;
    it->second.touched = config_.clock->Now();
  }
}

void Runtime::ForgetOldKeys() {
  const std::int64_t now_ms = NowMs();
  const MonotonicTime now = config_.clock->Now();
  MutexLock lock(keys_mutex_);
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second.expires_ms <= now_ms ||
        (it->second.answered && now - it->second.touched > kAnsweredKeyMemory)) {
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

void Runtime::AnswerFromKeyHolder(const std::shared_ptr<LiveOp>& op, const KeyRecord& holder) {
  CreateCallback answer;
  {
    MutexLock lock(op->mutex);
    // Its insert was not written: it never existed, and its work never started.
    op->dead = true;
    op->cancel_requested = true;
    op->prepared.reset();
    op->start_after_insert.reset();
    op->wake.notify_all();
    answer = std::move(op->answer);
    op->answer = nullptr;
    if (op->budget_timer != 0) timers_->Cancel(op->budget_timer);
    if (op->continuation_timer != 0) timers_->Cancel(op->continuation_timer);
    op->budget_timer = 0;
    op->continuation_timer = 0;
  }
  cache_->Erase(op);
  live_.fetch_sub(1, std::memory_order_relaxed);
  if (!op->key_map_key.empty()) {
    MutexLock lock(keys_mutex_);
    keys_[op->key_map_key] = KeyEntry{holder.fingerprint, holder.operation_id, true,
                                      holder.expires_ms, config_.clock->Now()};
  }
  if (!answer) return;
  if (!op->key || holder.fingerprint != op->key->fingerprint) {
    answer(CreateOutcome{CreateKind::kKeyConflict, nullptr, false, {}});
    return;
  }
  auto found = Find(holder.operation_id, op->principal, true);
  if (!found.ok()) {
    answer(CreateOutcome{CreateKind::kUnavailable, nullptr, false, found.status().message()});
  } else if (!*found) {
    answer(CreateOutcome{CreateKind::kKeyGone, nullptr, true, {}});
  } else {
    const bool succeeded = (*found)->status == OperationStatus::kSucceeded;
    answer(
        CreateOutcome{succeeded ? CreateKind::kFinished : CreateKind::kAccepted, *found, true, {}});
  }
}

}  // namespace lro::server::internal
