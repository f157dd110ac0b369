#include "wire/uuid.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace lro::wire {
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

}  // namespace

std::string UuidV4(UuidBytes bytes) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | 0x40U);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the '-' already there
    out[pos++] = kHex[bytes[i] >> 4U];
    out[pos++] = kHex[bytes[i] & 0x0FU];
  }
  return out;
}

std::string RandomUuid() {
  thread_local RandomPool pool;
  UuidBytes bytes{};
  pool.Fill(bytes.data(), bytes.size());
  return UuidV4(bytes);
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

}  // namespace lro::wire
