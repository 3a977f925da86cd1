// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF), one rule
// for WebSocket text frames and log lines. Pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace herald::util {

// The length of the well-formed UTF-8 sequence at the start of `s` (1-4), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s);

}  // namespace herald::util
