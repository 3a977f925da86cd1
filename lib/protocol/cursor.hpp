// Stream cursors: the opaque SSE `id:` that records the position of every channel in a stream.
// Format: 4 hex digits fingerprinting the sorted channel names, 8 hex digits fingerprinting
// their epochs, then one decimal offset per channel: "a3e19f2c41d0.17.3". ≤ 256 bytes for
// 16 channels. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {

struct cursor {
    std::uint16_t names_fp = 0;
    std::uint32_t epochs_fp = 0;
    std::vector<std::uint64_t> offsets;  // in sorted channel order
};

// `channels` and `epochs` in the same (sorted) order.
std::uint16_t names_fingerprint(const std::vector<std::string>& channels);
std::uint32_t epochs_fingerprint(const std::vector<std::string>& epochs);

std::string encode_cursor(const cursor& c);
// nullopt when `text` is not a well-formed cursor.
std::optional<cursor> parse_cursor(std::string_view text);

// The cursor prefix ("<fp>.") for a one-channel stream; append the offset to complete it.
std::string single_channel_cursor_prefix(const std::string& channel, const std::string& epoch);

}  // namespace herald::protocol
