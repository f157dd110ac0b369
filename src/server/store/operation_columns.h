// What both stores share about their tables: the columns of an operation, in OperationRecord
// order, and where a listing starts (keyset paging on (created_ms, id)).
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "lro/server/store.h"

// Columns of every operation SELECT, in OperationRecord order (result and request follow when
// asked for).
#define LRO_OPERATION_COLUMNS                                                                \
  "id, principal, type, status, percent, created_ms, updated_ms, expires_ms, error, "        \
  "result_type, version, owner, lease_expires_ms, cancel_requested, next_run_ms, attempts, " \
  "display_name"

namespace lro::server::internal {

inline constexpr int kOperationColumns = 17;

// The (created_ms, id) a page continues after: query.after, else a key before every operation
// in the query's order.
inline std::pair<std::int64_t, std::string_view> ListStart(const ListQuery& query) {
  if (query.after) return {query.after->first, query.after->second};
  return {query.newest_first ? std::numeric_limits<std::int64_t>::max()
                             : std::numeric_limits<std::int64_t>::min(),
          std::string_view()};
}

}  // namespace lro::server::internal
