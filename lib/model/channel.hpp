// Channel names: validation with a message that names the offending byte.
// Pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::model {

inline constexpr std::size_t max_channel_length = 200;

// nullopt when `name` is a valid channel name, otherwise the invalid_channel error.
std::optional<error> validate_channel(std::string_view name);

}  // namespace herald::model
