// A WebSocket subscribe's `since` ({"epoch"?, "offset"}, or "latest") as the resume request for its one
// channel: absent → live; offset 0 without an epoch → from the earliest history; an epoch →
// a cursor in that epoch; no epoch → the offset counts in whatever epoch is current. Pure.
#pragma once

#include <optional>
#include <string>

#include "lib/node/resume.hpp"
#include "lib/protocol/ws_codec.hpp"

namespace herald::stream {

node::since_spec subscribe_since(const std::string& channel, const std::optional<protocol::ws_since>& since);

}  // namespace herald::stream
