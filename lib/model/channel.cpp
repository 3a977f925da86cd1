// Channel name rules: 1-200 bytes of [A-Za-z0-9_.:@/=-].
#include "lib/model/channel.hpp"

#include <cstdio>

namespace herald::model {

namespace {
bool allowed(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '@' || c == '/' || c == '=' || c == '-';
}
}  // namespace

std::optional<error> validate_channel(std::string_view name) {
    if (name.empty()) return errors::invalid_channel("channel name is empty");
    if (name.size() > max_channel_length)
        return errors::invalid_channel("channel name is " + std::to_string(name.size()) + " bytes, over the limit of " +
                                       std::to_string(max_channel_length));
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        if (!allowed(c)) {
            char shown[16];
            if (c >= 0x21 && c < 0x7f)
                std::snprintf(shown, sizeof shown, "'%c'", c);
            else
                std::snprintf(shown, sizeof shown, "byte 0x%02x", c);
            return errors::invalid_channel("channel '" + std::string(name) + "' has invalid character " + shown +
                                           " at position " + std::to_string(i));
        }
    }
    return std::nullopt;
}

}  // namespace herald::model
