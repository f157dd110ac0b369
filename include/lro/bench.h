// Benchmark hooks of the engine (bench/lro_load): not for applications.
#pragma once

#include <cstdint>
#include <vector>

#include "lro/engine.h"

namespace lro::bench {

// When on, `engine` records, for every poll it sends, how late it is after the poll's due time.
void RecordLateness(Engine& engine, bool on);
// The values recorded so far, in microseconds.
std::vector<std::int64_t> Lateness(const Engine& engine);

}  // namespace lro::bench
