// What both stores share about their tables: the columns of an operation, in OperationRecord
// order, where a listing starts (keyset paging on (created_ms, id)), and the replicas' rows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "lro/server/store.h"

// Columns of every operation SELECT, in OperationRecord order (result and request follow when
// asked for).
#define LRO_OPERATION_COLUMNS                                                                \
  "id, principal, type, status, percent, created_ms, updated_ms, expires_ms, error, "        \
  "result_type, version, owner, lease_expires_ms, cancel_requested, next_run_ms, attempts, " \
  "display_name"

namespace lro::server::internal {

inline constexpr int kOperationColumns = 17;

// A replica's row is purged once its lease ended this long ago and it owns no unfinished
// operation (replicas on PostgreSQL get a new id at every start).
inline constexpr std::int64_t kStaleReplicaMs = std::int64_t{24} * 60 * 60 * 1000;

// The distinct non-empty owners a batch of writes names (usually one): each must have a row in
// the replicas table, so that a claim can see whether its lease expired.
inline std::vector<std::string_view> OwnersOf(const std::vector<StoreWrite>& writes) {
  std::vector<std::string_view> owners;
  for (const StoreWrite& write : writes) {
    const std::string_view owner = write.record.owner;
    if (owner.empty() || std::find(owners.begin(), owners.end(), owner) != owners.end()) continue;
    owners.push_back(owner);
  }
  return owners;
}

// The (created_ms, id) a page continues after: query.after, else a key before every operation
// in the query's order.
inline std::pair<std::int64_t, std::string_view> ListStart(const ListQuery& query) {
  if (query.after) return {query.after->first, query.after->second};
  return {query.newest_first ? std::numeric_limits<std::int64_t>::max()
                             : std::numeric_limits<std::int64_t>::min(),
          std::string_view()};
}

}  // namespace lro::server::internal
