// Durations as people type them: "45s", "15m", "1h", "7d", "500ms", "1h30m"; a bare number is
// seconds. Used by `herald token create --ttl`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace herald::util {

// Milliseconds, or nullopt when `text` is not a duration (empty, unknown unit, overflow).
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace herald::util
