// Gap fill: the order in which a node hands on the events it receives over Redis pub/sub, as
// decisions only (no I/O, no Redis). redis_broker feeds it every arriving event and the answer of
// every history read it asked for, and does what it says: hand events on, start a read.
// Per channel it remembers the epoch and the last offset handed on:
// - A channel first seen starts where it is: its event is handed on, whatever its offset.
// - In the epoch it follows, the next offset is handed on and one at or below the last is a
//   duplicate (dropped); one past the next starts a fill: the missing range is read from history
//   and the event, with every one of the channel arriving meanwhile, is held until the read answers.
// - An event of another epoch (Redis lost its data, or the channel expired and was created again)
//   is handed on at offset 1; past 1, the new epoch's first events are filled from its start.
// - The read's answer hands on, in order, the history events below the first held one (when the
//   history is of that event's epoch), then the held events, dropping any already handed on. What
//   history no longer holds, or a failed read, stays missing: there is no second fill.
// Bounds, each with its outcome:
// - held: at most max_held events per channel (the one that started the fill always): one more
//   is dropped (held_full); the channel's next event after the fill finds the gap and reads it.
// - channels: at most max_channels are followed; an event of one more is handed on as it is
//   (untracked: no order or fill) until forget_idle makes room.
// - forget_idle drops the channels with no event (or touch) for keep ms, never one with a fill in
//   flight; a channel forgotten starts again where it is.
// Threading: none of its own; one thread (the Redis broker's) calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/broker/broker.hpp"
#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::broker {

struct gap_fill_limits {
    std::size_t max_held = 10000;       // events held per channel while its fill is in flight
    std::size_t max_channels = 200000;  // channels followed at once
};

// The history read a fill needs: the events of `channel` with offset > after, at most `limit`.
struct fill_read {
    std::string channel;
    std::uint64_t after = 0;
    std::size_t limit = 0;
};

enum class arrival_outcome {
    deliver,    // the next one (or the first seen, or offset 1 of a new epoch): hand it on now
    duplicate,  // at or below the last offset handed on in its epoch: dropped
    fill,       // past the next offset: held; start the read
    held,       // the channel's fill is in flight: held until its read answers
    held_full,  // the channel's fill is in flight and max_held events are held: dropped
    untracked,  // max_channels are followed: hand it on as it is
};

struct arrival {
    arrival_outcome outcome = arrival_outcome::deliver;
    std::optional<fill_read> read;  // with fill only

    bool hand_on() const { return outcome == arrival_outcome::deliver || outcome == arrival_outcome::untracked; }
};

// What gap_fill remembers of one channel.
struct followed_channel {
    std::string epoch;
    std::uint64_t last = 0;   // the last offset handed on (0: none yet)
    bool filling = false;     // a read is in flight
    std::size_t held = 0;     // events held until it answers
    std::int64_t seen_at = 0; // ms of the last event handed on, or of the last touch
};

class gap_fill {
public:
    explicit gap_fill(gap_fill_limits limits = {});

    // An event arrived over pub/sub (now_ms: the broker's clock).
    arrival on_event(const model::event_ptr& ev, std::int64_t now_ms);
    // The read that arrival asked for answered (an error: it failed). The events to hand on now,
    // in order; none when `channel` has no fill in flight.
    std::vector<model::event_ptr> on_fill(const std::string& channel, const model::result<channel_history>& history,
                                          std::int64_t now_ms);
    // The channel has subscribers on this node: keep its position as if an event had arrived.
    void touch(const std::string& channel, std::int64_t now_ms);
    // Forgets channels idle for keep_ms or more (none with a fill in flight); how many it forgot.
    std::size_t forget_idle(std::int64_t now_ms, std::int64_t keep_ms);

    std::size_t followed() const { return channels_.size(); }
    std::optional<followed_channel> channel(const std::string& name) const;

private:
    struct state {
        std::string epoch;
        std::uint64_t last = 0;
        std::int64_t seen_at = 0;
        bool filling = false;
        std::vector<model::event_ptr> held;
    };

    // Records `ev` as handed on; false when it already was (same epoch, offset at or below last).
    static bool advance(state& s, const model::event_ptr& ev, std::int64_t now_ms);

    gap_fill_limits limits_;
    std::unordered_map<std::string, state> channels_;
};

}  // namespace herald::broker
