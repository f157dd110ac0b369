// The status words of SPEC §2 as lrod writes them and the client reports them. Internal.
#pragma once

namespace lro::wire {

inline constexpr const char* kStatusNotStarted = "NotStarted";
inline constexpr const char* kStatusRunning = "Running";
inline constexpr const char* kStatusSucceeded = "Succeeded";
inline constexpr const char* kStatusFailed = "Failed";
inline constexpr const char* kStatusCanceled = "Canceled";

}  // namespace lro::wire
