// Pattern matching: exact names and trailing-* prefixes only, so matching is one comparison.
#include "lib/auth/channel_pattern.hpp"

#include "lib/model/channel.hpp"

namespace herald::auth {

bool pattern_matches(std::string_view pattern, std::string_view channel) {
    if (!pattern.empty() && pattern.back() == '*') {
        auto prefix = pattern.substr(0, pattern.size() - 1);
        return channel.size() >= prefix.size() && channel.substr(0, prefix.size()) == prefix;
    }
    return pattern == channel;
}

std::optional<model::error> validate_pattern(std::string_view pattern) {
    if (pattern == "*") return std::nullopt;
    auto name = !pattern.empty() && pattern.back() == '*' ? pattern.substr(0, pattern.size() - 1) : pattern;
    if (pattern.empty() || name.find('*') != std::string_view::npos)
        return model::error{"invalid_pattern", 400, "channel pattern '" + std::string(pattern) + "' is not valid",
                            "use a channel name, or a prefix ending in one '*' (e.g. 'news', 'stocks.*', '*')"};
    if (auto e = model::validate_channel(std::string(name))) {
        e->message = "channel pattern '" + std::string(pattern) + "': " + e->message;
        return e;
    }
    return std::nullopt;
}

}  // namespace herald::auth
