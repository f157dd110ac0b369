#include "runtime/ids.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "wire/uuid.h"

namespace lro::server::internal {
namespace {

std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string NewOperationId() { return wire::RandomUuid(); }

std::string NewRequestId() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    while (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
    }
    return seed;
  }();
  wire::UuidBytes bytes{};
  const std::uint64_t a = SplitMix(state);
  const std::uint64_t b = SplitMix(state);
  std::memcpy(bytes.data(), &a, 8);
  std::memcpy(bytes.data() + 8, &b, 8);
  return wire::UuidV4(bytes);
}

std::string NewReplicaId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + NewRequestId().substr(0, 8);
}

}  // namespace lro::server::internal
