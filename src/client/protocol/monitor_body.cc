#include "client/protocol/monitor_body.h"

#include <algorithm>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <utility>

#include "client/protocol/answers.h"
#include "wire/service_error_parse.h"

namespace lro::internal {
namespace {

// The top-level members ScanMonitorBody reads.
enum class Member : std::uint8_t {
  kOther,
  kStatus,
  kId,
  kPercent,
  kCreatedTimeUtc,
  kCreatedDateTime,
  kLastUpdatedTimeUtc,
  kLastUpdatedDateTime,
  kError,
};
constexpr std::size_t kFieldCount = 9;

Member MemberNamed(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, Member>, 8> kFields{{
      {"status", Member::kStatus},
      {"id", Member::kId},
      {"percentComplete", Member::kPercent},
      {"createdTimeUtc", Member::kCreatedTimeUtc},
      {"createdDateTime", Member::kCreatedDateTime},
      {"lastUpdatedTimeUtc", Member::kLastUpdatedTimeUtc},
      {"lastUpdatedDateTime", Member::kLastUpdatedDateTime},
      {"error", Member::kError},
  }};
  for (const auto& [name, field] : kFields) {
    if (key == name) return field;  // JSON keys are case-sensitive, as Field() reads them
  }
  return Member::kOther;
}

// boost::json::basic_parser's handler: keeps the top-level members named by Member, skips
// everything else (nested values are validated, never stored).
class MonitorHandler {
 public:
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  bool on_document_begin(boost::system::error_code& /*ec*/) { return true; }
  bool on_document_end(boost::system::error_code& /*ec*/) { return true; }
  bool on_object_begin(boost::system::error_code& /*ec*/) {
    if (depth_ == 0) top_is_object_ = true;
    NestedValue();
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t /*n*/, boost::system::error_code& /*ec*/) {
    --depth_;
    return true;
  }
  bool on_array_begin(boost::system::error_code& /*ec*/) {
    NestedValue();
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t /*n*/, boost::system::error_code& /*ec*/) {
    --depth_;
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t /*n*/, boost::system::error_code&) {
    if (depth_ == 1) part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t /*n*/, boost::system::error_code&) {
    if (depth_ != 1) return true;
    if (part_.empty()) {
      field_ = MemberNamed(std::string_view(s.data(), s.size()));
    } else {
      part_.append(s.data(), s.size());
      field_ = MemberNamed(part_);
      part_.clear();
    }
    if (field_ != Member::kOther && seen_[static_cast<std::size_t>(field_)]++ != 0) {
      needs_dom_ = true;  // which of the two counts is the DOM's rule: let it apply it
    }
    if (field_ == Member::kError) needs_dom_ = true;
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t /*n*/, boost::system::error_code&) {
    if (Reading()) part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t /*n*/, boost::system::error_code&) {
    if (!Reading()) return true;
    std::string_view text(s.data(), s.size());
    if (!part_.empty()) {
      part_.append(text);
      text = part_;
    }
    OnStringValue(text);
    part_.clear();
    field_ = Member::kOther;
    return true;
  }
  bool on_number_part(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_int64(std::int64_t i, boost::json::string_view /*s*/, boost::system::error_code&) {
    if (Reading() && field_ == Member::kPercent) {
      reading_.percent_complete = static_cast<int>(std::clamp<std::int64_t>(i, 0, 100));
    }
    OtherValue();
    return true;
  }
  bool on_uint64(std::uint64_t /*u*/, boost::json::string_view /*s*/,
                 boost::system::error_code& /*ec*/) {
    if (Reading() && field_ == Member::kPercent) reading_.percent_complete = 100;
    OtherValue();
    return true;
  }
  bool on_double(double d, boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    if (Reading() && field_ == Member::kPercent) {
      reading_.percent_complete = static_cast<int>(std::clamp(d, 0.0, 100.0));
    }
    OtherValue();
    return true;
  }
  bool on_bool(bool /*b*/, boost::system::error_code& /*ec*/) {
    OtherValue();
    return true;
  }
  bool on_null(boost::system::error_code& /*ec*/) {
    if (Reading() && field_ == Member::kPercent) reading_.percent_complete.emplace();
    OtherValue();
    return true;
  }
  bool on_comment_part(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_comment(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }

  // After a whole document: the reading, or kNeedsDom.
  ScannedMonitor Result() {
    if (needs_dom_ || !top_is_object_ || !status_) return {MonitorScan::kNeedsDom, {}};
    reading_.status = ClassifyStatus(*status_);
    // ReadMonitorBody's order: a later spelling that parses wins.
    for (auto [field, target] : {std::pair{Member::kCreatedTimeUtc, &reading_.created},
                                 std::pair{Member::kCreatedDateTime, &reading_.created},
                                 std::pair{Member::kLastUpdatedTimeUtc, &reading_.last_updated},
                                 std::pair{Member::kLastUpdatedDateTime, &reading_.last_updated}}) {
      if (const auto& time = times_[static_cast<std::size_t>(field)]) *target = *time;
    }
    return {MonitorScan::kRead, std::move(reading_)};
  }

 private:
  // A value of the current top-level member is being read (not a nested one).
  [[nodiscard]] bool Reading() const { return depth_ == 1 && field_ != Member::kOther; }
  // A scalar that is not a string: a `status` must be a string.
  void OtherValue() {
    if (Reading() && field_ == Member::kStatus) needs_dom_ = true;
    if (depth_ == 1) field_ = Member::kOther;
    if (depth_ == 0) top_is_object_ = false;
  }
  // An object or array as a member's value.
  void NestedValue() {
    if (depth_ == 1 && field_ == Member::kStatus) needs_dom_ = true;
    if (depth_ == 1) field_ = Member::kOther;
  }
  void OnStringValue(std::string_view text) {
    switch (field_) {
      case Member::kStatus:
        status_.emplace(text);
        break;
      case Member::kId:
        reading_.id.assign(text);
        break;
      case Member::kCreatedTimeUtc:
      case Member::kCreatedDateTime:
      case Member::kLastUpdatedTimeUtc:
      case Member::kLastUpdatedDateTime:
        times_[static_cast<std::size_t>(field_)] = ParseTimestamp(text);
        break;
      case Member::kPercent:  // a string percentage says nothing usable
      case Member::kError:
      case Member::kOther:
        break;
    }
  }

  int depth_ = 0;
  bool top_is_object_ = false;
  bool needs_dom_ = false;
  Member field_ = Member::kOther;  // the top-level member whose value comes next
  std::array<std::uint8_t, kFieldCount> seen_{};
  std::string part_;  // a key or string the parser hands over in pieces (escapes)
  std::optional<std::string> status_;
  std::array<std::optional<Timestamp>, kFieldCount> times_{};
  MonitorReading reading_;
};

}  // namespace

ScannedMonitor ScanMonitorBody(std::string_view text) {
  // ParseBody's grammar: boost::json::parse with default options reads one value and then
  // refuses anything but whitespace after it.
  boost::json::basic_parser<MonitorHandler> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used < text.size()) return {MonitorScan::kNotJson, {}};
  return parser.handler().Result();
}

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
