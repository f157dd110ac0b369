#include "client/protocol/monitor_body.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <utility>

#include "client/protocol/answers.h"
#include "wire/service_error_parse.h"

namespace lro::internal {

StatusOr<MonitorReading> ReadMonitorBody(const boost::json::value& body) {
  if (!body.is_object()) return ProtocolError("the status monitor's body is not a JSON object");
  const auto* status = Field(body, "status");
  if (status == nullptr) return ProtocolError("the status monitor's body has no status");
  if (!status->is_string()) {
    return ProtocolError("the status monitor's status is not a string: " +
                         boost::json::serialize(*status).substr(0, 100));
  }
  MonitorReading reading;
  reading.status = ClassifyStatus(status->get_string());
  if (const auto* id = Field(body, "id"); id != nullptr && id->is_string()) {
    reading.id = id->get_string();
  }
  if (const auto* percent = Field(body, "percentComplete")) {
    if (percent->is_int64()) {
      reading.percent_complete =
          static_cast<int>(std::clamp<std::int64_t>(percent->get_int64(), 0, 100));
    } else if (percent->is_uint64()) {
      reading.percent_complete = 100;
    } else if (percent->is_double()) {
      reading.percent_complete = static_cast<int>(std::clamp(percent->get_double(), 0.0, 100.0));
    } else if (percent->is_null()) {
      reading.percent_complete.emplace();
    }
  }
  for (auto [key, target] : {std::pair{"createdTimeUtc", &reading.created},
                             std::pair{"createdDateTime", &reading.created},
                             std::pair{"lastUpdatedTimeUtc", &reading.last_updated},
                             std::pair{"lastUpdatedDateTime", &reading.last_updated}}) {
    if (auto text = StringField(body, key)) {
      if (auto time = ParseTimestamp(*text)) *target = *time;
    }
  }
  if (const auto* error = Field(body, "error")) {
    reading.has_error = true;
    reading.error = wire::ParseErrorObject(*error);
  }
  return reading;
}

}  // namespace lro::internal
