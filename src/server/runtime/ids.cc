#include "runtime/ids.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace lro::server::internal {
namespace {

// Kernel randomness, read in blocks to spare a system call per id.
class RandomPool {
 public:
  void Fill(std::uint8_t* out, std::size_t size) {
    while (size > 0) {
      if (used_ == buffer_.size()) Refill();
      const std::size_t take = std::min(size, buffer_.size() - used_);
      std::memcpy(out, buffer_.data() + used_, take);
      // Bytes handed out are wiped from the pool.
      std::memset(buffer_.data() + used_, 0, take);
      used_ += take;
      out += take;
      size -= take;
    }
  }

 private:
  void Refill() {
    std::size_t filled = 0;
    while (filled < buffer_.size()) {
      const ssize_t n = getrandom(buffer_.data() + filled, buffer_.size() - filled, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("getrandom failed");
      }
      filled += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }

  std::array<std::uint8_t, 512> buffer_{};
  std::size_t used_ = 512;
};

void FormatUuid(const std::array<std::uint8_t, 16>& bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(36);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0xF];
  }
}

std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string NewOperationId() {
  thread_local RandomPool pool;
  std::array<std::uint8_t, 16> bytes{};
  pool.Fill(bytes.data(), bytes.size());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  FormatUuid(bytes, out);
  return out;
}

std::string NewRequestId() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    while (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
    }
    return seed;
  }();
  std::array<std::uint8_t, 16> bytes{};
  const std::uint64_t a = SplitMix(state);
  const std::uint64_t b = SplitMix(state);
  std::memcpy(bytes.data(), &a, 8);
  std::memcpy(bytes.data() + 8, &b, 8);
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
  std::string out;
  FormatUuid(bytes, out);
  return out;
}

bool IsCanonicalUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string NewReplicaId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + NewRequestId().substr(0, 8);
}

}  // namespace lro::server::internal
