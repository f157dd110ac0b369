// The operations this replica holds in memory, by id: those it runs, and finished ones kept hot
// for the polls that usually follow their end (for hot_period, or until hot_limit operations
// finished after them). Thread-safe; time is the injected clock's.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "lro/clock.h"
#include "wire/thread_safety.h"

namespace lro::server::internal {

struct LiveOp;

class OperationCache {
 public:
  OperationCache(std::shared_ptr<Clock> clock, std::chrono::milliseconds hot_period,
                 std::size_t hot_limit);

  // The operation with `id`, or null.
  [[nodiscard]] std::shared_ptr<LiveOp> Find(std::string_view id) const;
  // Holds `op`, replacing any other with its id.
  void Put(std::shared_ptr<LiveOp> op);
  // Holds `op` unless one with its id is held; returns whether it was added.
  bool Add(const std::shared_ptr<LiveOp>& op);
  // Forgets `op` (not another operation since held under its id).
  void Erase(const std::shared_ptr<LiveOp>& op);
  // `op` finished: it is forgotten once hot_period has passed, or once hot_limit operations
  // finished after it.
  void KeepHot(const std::shared_ptr<LiveOp>& op);
  // Forgets the finished operations kept longer than hot_period; returns how many.
  std::size_t CoolDown();
  // Calls `visit` for every operation held, under a shared lock: `visit` must not call back.
  void ForEach(const std::function<void(const std::shared_ptr<LiveOp>&)>& visit) const;
  [[nodiscard]] std::size_t size() const;
  void Clear();

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  const std::shared_ptr<Clock> clock_;
  const std::chrono::milliseconds hot_period_;
  const std::size_t hot_limit_;

  mutable SharedMutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<LiveOp>, StringHash, std::equal_to<>> ops_
      LRO_GUARDED_BY(mutex_);

  Mutex hot_mutex_ LRO_ACQUIRED_BEFORE(mutex_);  // taken before mutex_, never after
  // Finished operations in the order they finished.
  std::deque<std::pair<MonotonicTime, std::weak_ptr<LiveOp>>> hot_ LRO_GUARDED_BY(hot_mutex_);
};

}  // namespace lro::server::internal
