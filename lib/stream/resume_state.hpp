// Where a stream's client stands on each of its channels, and the one rule (SSE and WebSocket
// alike) for what reaches it: a channel first reads its history, then replays it paced by the
// outbox, then goes live. Live events that arrive before that are held, bounded by count and
// cost; past either bound the stream is a slow consumer. A live event at or below the client's
// position is a duplicate and is skipped; one from another epoch means herald.reset first.
// Pure: no I/O, no clock. Single-threaded: owned by one stream session on its shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/channels/encoded_event.hpp"
#include "lib/model/event.hpp"
#include "lib/node/resume.hpp"
#include "lib/stream/backlog.hpp"

namespace herald::stream {

// Live events held while a channel catches up, at most this many per stream channel.
inline constexpr std::size_t max_held_events = 4096;

// What one event costs while queued or held: its bytes plus the frame and bookkeeping around it,
// so zero-byte events count too. Replay pacing and the held bound both use it.
std::size_t event_cost(const model::event& ev);

// A channel still catching up: its history read is pending, or its replay is being queued.
struct catch_up {
    bool planned = false;  // the history is read and the plan applied
    std::vector<model::event_ptr> replay;
    std::size_t next = 0;             // replay[next] is the next to queue
    std::uint64_t resume_offset = 0;  // the position once the replay is all queued
    std::vector<channels::encoded_event_ptr> held;
    std::size_t held_bytes = 0;  // their event_cost
};

struct channel_state {
    std::string channel;
    std::string epoch;
    std::uint64_t offset = 0;      // the client's position: the next event it gets is offset + 1
    std::uint64_t generation = 0;  // tells this subscription from an earlier one to the same channel
    bool automatic = false;        // opened for the token (the user: channel), not asked for
    std::unique_ptr<catch_up> pending;  // null once live
    // The channel's slow_consumer policy when it keeps a slow consumer (nullopt: it disconnects
    // it), and the events waiting for room in the outbox meanwhile (null when none wait).
    std::optional<backlog_rule> slow_rule;
    std::unique_ptr<backlog> waiting;

    bool live() const { return !pending; }
};

// What to do with a live event for a channel that is live.
enum class live_step {
    skip,    // at or below the position: already sent
    deliver, // send it, then call advance()
    reset,   // another epoch: move_to_epoch(), send herald.reset, then the event
};

// What the arrival of a live event means for the stream.
struct arrival {
    enum kind { unknown_channel, held, overflow, live } what = unknown_channel;
    channel_state* channel = nullptr;  // for `live`
};

// One step of the paced replay.
struct replay_step {
    enum kind {
        idle,       // nothing is being replayed
        wait,       // the outbox is full enough: call again after a write completes
        send,       // queue `event` for `channel` (its position has moved to it)
        caught_up,  // `channel` is live now: deliver `held` through on_live() in order
    } what = idle;
    channel_state* channel = nullptr;
    model::event_ptr event;
    std::vector<channels::encoded_event_ptr> held;
};

class resume_state {
public:
    // `held_bytes_cap`: the most held live events may cost (the outbox cap).
    explicit resume_state(std::size_t held_bytes_cap) : held_bytes_cap_(held_bytes_cap) {}

    // Starts following `channel` (reading its history); returns its generation.
    std::uint64_t open(std::string channel, bool automatic);
    // Stops following it; false if it was not followed.
    bool close(std::string_view channel);
    channel_state* find(std::string_view channel);
    const std::vector<channel_state>& channels() const { return channels_; }
    std::vector<channel_state>& channels() { return channels_; }

    // Applies a channel's resume plan, if `generation` is still the one followed (else false, and
    // nothing changes). Sets the epoch and the starting position (the replay's first offset - 1,
    // or the plan's resume offset when there is nothing to replay). A reset plan replays only a
    // keyed channel's snapshot (the state after the reset).
    bool apply(std::string_view channel, std::uint64_t generation, node::channel_resume plan);

    // A live event arrives (hub delivery, in offset order per channel).
    arrival on_live(const channels::encoded_event_ptr& ev);
    // For a live channel: what the event means. Changes nothing.
    static live_step check_live(const channel_state& c, const model::event& ev);
    // The channel's epoch is now the event's, its position just before the event.
    static void move_to_epoch(channel_state& c, const model::event& ev);
    static void advance(channel_state& c, const model::event& ev) { c.offset = ev.offset; }

    // The next replay step. Replay may fill at most half the outbox (`queued_bytes` of
    // `outbox_max`), or queue one event when the outbox is idle, so live events of other
    // channels and replies keep room and a long replay is never a slow consumer.
    replay_step next_replay(std::size_t queued_bytes, bool outbox_idle, std::size_t outbox_max);
    // True while some planned channel has replay left to queue.
    bool replaying() const { return replaying_ > 0; }

private:
    std::size_t held_bytes_cap_;
    std::vector<channel_state> channels_;
    std::uint64_t next_generation_ = 1;
    std::size_t replaying_ = 0;  // planned channels not yet live
};

}  // namespace herald::stream
