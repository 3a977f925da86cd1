// Resume planning: from what a client asked for (live, earliest, a cursor) and what the broker
// holds, decide per channel what to replay, whether to send herald.reset, and where live starts.
// Pure functions, no I/O; the sessions apply the plan.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/broker/broker.hpp"
#include "lib/protocol/cursor.hpp"

namespace herald::node {

enum class since_mode { live, earliest, cursor, bad_cursor };

struct since_spec {
    since_mode mode = since_mode::live;
    protocol::cursor cursor;
    bool any_epoch = false;  // cursor offsets count in whatever epoch is current (no epoch given)
};

// "" → live, "earliest" → earliest, otherwise a cursor; nullopt when malformed.
std::optional<since_spec> parse_since(std::string_view text);

// The `after` argument for each channel's broker read (channels sorted, as in the cursor).
std::vector<std::optional<std::uint64_t>> read_plan(const since_spec& since, const std::vector<std::string>& channels);

struct channel_resume {
    std::string reset_reason;  // empty: no reset; else history_gone | epoch_changed | bad_cursor
    std::vector<model::event_ptr> replay;
    std::uint64_t resume_offset = 0;  // live events at or below this are already covered
    std::string epoch;
};

// `histories` in the same order as `channels`.
std::vector<channel_resume> plan_resume(const since_spec& since, const std::vector<std::string>& channels,
                                        std::vector<broker::channel_history> histories);

}  // namespace herald::node
