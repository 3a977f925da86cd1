// Channel names: validation with a message that names the offending byte.
// Pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::model {

inline constexpr std::size_t max_channel_length = 200;
// Channels of one user ("user:42"): only that user may read them, and they are never shown to
// anyone else (metrics, logs of other users).
inline constexpr std::string_view user_channel_prefix = "user:";
inline bool is_user_channel(std::string_view name) { return name.substr(0, user_channel_prefix.size()) == user_channel_prefix; }

// nullopt when `name` is a valid channel name, otherwise the invalid_channel error.
std::optional<error> validate_channel(std::string_view name);

}  // namespace herald::model
