// When to send the next request (SPEC §4): the server's hint, else the client's policy.
// Internal: subject to change.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "lro/http.h"
#include "lro/options.h"

namespace lro::internal {

using std::chrono::milliseconds;

// The server's requested delay, from `retry-after-ms` or `x-ms-retry-after-ms` (preferred,
// integer milliseconds) or `Retry-After` (delta-seconds or an HTTP-date in IMF-fixdate,
// RFC 850 or asctime form). A date in the past is 0. Values above `cap` are `cap`.
// Anything unparseable (`1.5`, `-3`, `abc`, an empty value) is no hint: nullopt. Never throws
// and never overflows, whatever the input.
std::optional<milliseconds> ParseServerDelay(const Headers& headers,
                                             std::chrono::system_clock::time_point wall_now,
                                             milliseconds cap);

// Exponential backoff with jitter and a cap: the delay before attempt n (n ≥ 1) is
// initial × multiplier^(n-1), at most `max`, then scaled by a random factor in
// [1 - jitter, 1 + jitter] (and again capped). Deterministic for a given seed.
class Backoff {
 public:
  Backoff(milliseconds initial, double multiplier, milliseconds max, double jitter,
          std::uint64_t seed);
  // The delay for the next attempt; advances the attempt count.
  milliseconds Next();
  void Reset() { attempt_ = 0; }
  [[nodiscard]] int attempts() const { return attempt_; }

 private:
  milliseconds initial_;
  double multiplier_;
  milliseconds max_;
  double jitter_;
  int attempt_ = 0;
  std::uint64_t random_state_;  // splitmix64: 8 bytes, since every operation has two of these
};

}  // namespace lro::internal
