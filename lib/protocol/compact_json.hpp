// Whether a JSON text is already exactly what herald would store for it (nlohmann's compact dump
// of an ordered_json parse), so a publish can keep the bytes instead of parsing and re-dumping
// them. Conservative: true only for an object or array with no whitespace, ASCII strings without
// escapes, integers of at most 18 digits (no -0), and no repeated key in an object of at most 16
// keys, nested at most 32 deep, and valid JSON throughout (it reads the whole text). Anything
// else answers false and takes the full path, which validates and normalizes. Pure; any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace herald::protocol {

inline constexpr std::size_t compact_json_max_depth = 32;

bool already_compact_json(std::string_view text);

}  // namespace herald::protocol
