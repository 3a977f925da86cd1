// Stream control messages: members built with json_quote for every string.
#include "lib/protocol/stream_messages.hpp"

#include "lib/protocol/json_codec.hpp"

namespace herald::protocol {

std::string reset_members(std::string_view channel, std::string_view reason, std::string_view epoch,
                          std::uint64_t offset) {
    return "\"channel\":" + json_quote(channel) + ",\"reason\":" + json_quote(reason) + ",\"epoch\":" + json_quote(epoch) +
           ",\"offset\":" + std::to_string(offset);
}

std::string gap_members(std::string_view channel, std::string_view epoch, std::uint64_t from, std::uint64_t to) {
    return "\"channel\":" + json_quote(channel) + ",\"epoch\":" + json_quote(epoch) + ",\"from\":" + std::to_string(from) +
           ",\"to\":" + std::to_string(to);
}

std::string occupancy_members(std::string_view channel, std::uint64_t subscribers) {
    return "\"channel\":" + json_quote(channel) + ",\"subscribers\":" + std::to_string(subscribers);
}

std::string expiring_members(std::int64_t exp_ms, std::int64_t expires_in_ms) {
    return "\"exp\":" + std::to_string(exp_ms / 1000) + ",\"expires_in_ms\":" + std::to_string(expires_in_ms);
}

std::string disconnect_members(const model::disconnect& d, std::string_view cursor) {
    return "\"code\":" + std::to_string(d.code) + ",\"name\":" + json_quote(d.name) + ",\"reason\":" + json_quote(d.reason) +
           ",\"reconnect\":" + (d.reconnect ? "true" : "false") +
           ",\"cursor\":" + (cursor.empty() ? std::string("null") : json_quote(cursor));
}

std::string subscribed_members(std::string_view channel, std::string_view epoch, std::uint64_t offset, bool recovered) {
    return "\"channel\":" + json_quote(channel) + ",\"epoch\":" + json_quote(epoch) + ",\"offset\":" + std::to_string(offset) +
           ",\"recovered\":" + (recovered ? "true" : "false");
}

std::string unsubscribed_members(std::string_view channel, std::string_view reason) {
    std::string out = "\"channel\":" + json_quote(channel);
    if (!reason.empty()) out += ",\"reason\":" + json_quote(reason);
    return out;
}

std::string refreshed_members(std::optional<std::int64_t> exp_ms) {
    return exp_ms ? "\"exp\":" + std::to_string(*exp_ms / 1000) : std::string();
}

std::string json_object(std::string_view members) { return "{" + std::string(members) + "}"; }

std::string more_members(std::string_view members) { return "," + std::string(members); }

}  // namespace herald::protocol
