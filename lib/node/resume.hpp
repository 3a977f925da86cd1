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

// live: from now on; earliest: all history; latest: the newest event (a keyed channel: the latest
// event of every key) first; cursor: what followed a position.
enum class since_mode { live, earliest, latest, cursor, bad_cursor };

struct since_spec {
    since_mode mode = since_mode::live;
    protocol::cursor cursor;
    bool any_epoch = false;  // cursor offsets count in whatever epoch is current (no epoch given)
};

// "" → live, "earliest" → earliest, "latest" → latest, otherwise a cursor; nullopt when malformed.
std::optional<since_spec> parse_since(std::string_view text);

// Which broker read each channel needs: its latest state (read_latest), or its history after an
// offset (read; nullopt: the position only).
struct channel_read {
    bool latest = false;
    std::optional<std::uint64_t> after;
};

// The read for each channel (channels sorted, as in the cursor; `keyed` says which are keyed by
// their policy). A keyed channel always reads its latest state: it serves a fresh start (the
// snapshot) and a cursor (catch-up by key) alike.
std::vector<channel_read> read_plan(const since_spec& since, const std::vector<std::string>& channels,
                                    const std::vector<bool>& keyed);

struct channel_resume {
    std::string reset_reason;  // empty: no reset; else history_gone | epoch_changed | bad_cursor
    std::vector<model::event_ptr> replay;  // after a reset: only a keyed channel's snapshot
    std::uint64_t resume_offset = 0;  // live events at or below this are already covered
    std::string epoch;
};

// `histories` in the same order as `channels`. A keyed channel's history (channel_history::keyed)
// is caught up by key: a cursor gets the latest event of every key changed after it, deletions
// included; any other start, and a reset (the cursor is from another epoch, or older than what
// catch-up still knows), gets the snapshot: every live key's latest event, oldest first.
std::vector<channel_resume> plan_resume(const since_spec& since, const std::vector<std::string>& channels,
                                        std::vector<broker::channel_history> histories);

}  // namespace herald::node
