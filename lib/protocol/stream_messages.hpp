// The JSON members of the control messages a stream sends, shared by both transports: SSE wraps
// them as an event's data ({...}), WebSocket appends them to {"op":...} (ws_reply_json). One
// builder per message, so the two transports never drift apart. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/model/disconnect.hpp"

namespace herald::protocol {

// "channel","reason","epoch","offset": herald.reset / op reset. `offset` is the new position.
std::string reset_members(std::string_view channel, std::string_view reason, std::string_view epoch,
                          std::uint64_t offset);
// "channel","epoch","from","to": herald.gap / op gap: a slow consumer's queued events from..to
// (offsets, inclusive) were dropped; the position is now `to`.
std::string gap_members(std::string_view channel, std::string_view epoch, std::uint64_t from, std::uint64_t to);
// "channel","subscribers": herald.occupancy / op occupancy: the channel's subscribers on every node.
std::string occupancy_members(std::string_view channel, std::uint64_t subscribers);
// "exp" (seconds), "expires_in_ms": herald.auth_expiring / op auth_expiring.
std::string expiring_members(std::int64_t exp_ms, std::int64_t expires_in_ms);
// "code","name","reason","reconnect","cursor" (null when empty): herald.disconnect.
std::string disconnect_members(const model::disconnect& d, std::string_view cursor);
// "channel","epoch","offset","recovered": op subscribed.
std::string subscribed_members(std::string_view channel, std::string_view epoch, std::uint64_t offset, bool recovered);
// "channel" and, when not empty, "reason": op unsubscribed.
std::string unsubscribed_members(std::string_view channel, std::string_view reason);
// "exp" (seconds) when the new token has one, else nothing: op refreshed.
std::string refreshed_members(std::optional<std::int64_t> exp_ms);
// "{" + members + "}"
std::string json_object(std::string_view members);
// "," + members, for ws_reply_json's `extra`.
std::string more_members(std::string_view members);

}  // namespace herald::protocol
