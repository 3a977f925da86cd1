// Channel patterns as tokens and --public-channels give them: an exact channel name, or a
// prefix ending in '*' ("stocks.*" matches "stocks.aapl"; "*" alone matches every channel).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::auth {

bool pattern_matches(std::string_view pattern, std::string_view channel);
// For configured patterns: an error naming the pattern and the offending character.
std::optional<model::error> validate_pattern(std::string_view pattern);

}  // namespace herald::auth
