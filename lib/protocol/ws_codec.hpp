// The JSON protocol spoken over WebSocket text frames: client commands in, events and replies
// out. Pure functions; a bad command comes back as a named error (with the command's id when
// it could be read) so the session can answer {"op":"error",...} and keep the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::protocol {

enum class ws_op { subscribe, unsubscribe, ping, refresh };

struct ws_since {
    std::optional<std::string> epoch;  // absent: any epoch (offset counts in the current one)
    std::uint64_t offset = 0;
    bool latest = false;  // "since":"latest": the newest event (a keyed channel: every key's) first
};

struct ws_command {
    ws_op op = ws_op::ping;
    std::string id;  // the command's "id" as JSON text ("7", "\"a\""), empty when none
    std::string channel;
    std::optional<ws_since> since;
    std::string token;  // refresh
};

struct ws_command_error {
    std::string id;  // JSON text of the id, empty when none
    model::error error;
};

// Parses one text message. Errors: invalid_json, invalid_command, unknown_op, invalid_channel,
// invalid_since.
std::optional<ws_command_error> parse_ws_command(std::string_view text, ws_command& out);

// {"op":"event","channel","offset","epoch","event"?,"data","published_at"}
std::string ws_event_json(const model::event& ev);
// {"op":"error","id"?,"code","message","hint"}
std::string ws_error_json(std::string_view id, const model::error& e);
// {"op":"<op>","id"?, <extra members>} where `extra` is "" or a run of ,"k":v members.
std::string ws_reply_json(std::string_view op, std::string_view id, std::string_view extra);

}  // namespace herald::protocol
