#include "runtime/operation_cache.h"

#include <vector>

#include "runtime/live_op.h"

namespace lro::server::internal {

OperationCache::OperationCache(std::shared_ptr<Clock> clock, std::chrono::milliseconds hot_period,
                               std::size_t hot_limit)
    : clock_(std::move(clock)), hot_period_(hot_period), hot_limit_(hot_limit) {
  ops_.reserve(1 << 16);
}

std::shared_ptr<LiveOp> OperationCache::Find(std::string_view id) const {
  ReaderMutexLock lock(mutex_);
  auto it = ops_.find(id);
  return it == ops_.end() ? nullptr : it->second;
}

void OperationCache::Put(std::shared_ptr<LiveOp> op) {
  WriterMutexLock lock(mutex_);
  std::string id = op->id;
  ops_[std::move(id)] = std::move(op);
}

bool OperationCache::Add(const std::shared_ptr<LiveOp>& op) {
  WriterMutexLock lock(mutex_);
  return ops_.emplace(op->id, op).second;
}

void OperationCache::Erase(const std::shared_ptr<LiveOp>& op) {
  WriterMutexLock lock(mutex_);
  auto it = ops_.find(op->id);
  if (it != ops_.end() && it->second == op) ops_.erase(it);
}

void OperationCache::KeepHot(const std::shared_ptr<LiveOp>& op) {
  std::shared_ptr<LiveOp> evicted;
  {
    MutexLock lock(hot_mutex_);
    hot_.emplace_back(clock_->Now(), op);
    if (hot_.size() > hot_limit_) {
      evicted = hot_.front().second.lock();
      hot_.pop_front();
    }
  }
  if (evicted) Erase(evicted);
}

std::size_t OperationCache::CoolDown() {
  const MonotonicTime now = clock_->Now();
  std::vector<std::shared_ptr<LiveOp>> cold;
  {
    MutexLock lock(hot_mutex_);
    while (!hot_.empty() && now - hot_.front().first > hot_period_) {
      if (auto op = hot_.front().second.lock()) cold.push_back(std::move(op));
      hot_.pop_front();
    }
  }
  for (const auto& op : cold) Erase(op);
  return cold.size();
}

void OperationCache::ForEach(
    const std::function<void(const std::shared_ptr<LiveOp>&)>& visit) const {
  ReaderMutexLock lock(mutex_);
  for (const auto& [id, op] : ops_) visit(op);
}

std::size_t OperationCache::size() const {
  ReaderMutexLock lock(mutex_);
  return ops_.size();
}

void OperationCache::Clear() {
  MutexLock hot_lock(hot_mutex_);
  hot_.clear();
  WriterMutexLock lock(mutex_);
  ops_.clear();
}

}  // namespace lro::server::internal
