// UUID v4 (RFC 9562 §5.4): the operation ids lrod hands out and the Repeatability-Request-IDs
// the client adds. Internal.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lro::wire {

using UuidBytes = std::array<std::uint8_t, 16>;

// `bytes` as a UUID v4: the version and variant bits set, in lower-case canonical text
// ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx").
std::string UuidV4(UuidBytes bytes);

// A UUID v4 from the kernel's CSPRNG (getrandom): an id nobody can guess, never repeated
// across processes. Thread-safe.
std::string RandomUuid();

// True for a lower-case canonical UUID ("xxxxxxxx-xxxx-…", 36 characters).
bool IsCanonicalUuid(std::string_view text);

}  // namespace lro::wire
