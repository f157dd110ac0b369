// Where a listing starts, for the stores' keyset paging on (created_ms, id).
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "lro/server/store.h"

namespace lro::server::internal {

// The (created_ms, id) a page continues after: query.after, else a key before every operation
// in the query's order.
inline std::pair<std::int64_t, std::string_view> ListStart(const ListQuery& query) {
  if (query.after) return {query.after->first, query.after->second};
  return {query.newest_first ? std::numeric_limits<std::int64_t>::max()
                             : std::numeric_limits<std::int64_t>::min(),
          std::string_view()};
}

}  // namespace lro::server::internal
