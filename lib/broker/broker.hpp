// The Broker: assigns stream positions, keeps history, and fans events out to every node.
// Contract:
// - publish() assigns (epoch, offset), appends to history and hands the event to the handler,
//   as one step per channel: handler.on_event sees each channel's events in offset order, and
//   an event is visible to read() no later than it reaches on_event.
// - Local and remote events take the same path: the node never delivers on its own.
// - Callbacks may run on any thread (inline for the memory broker); they must not block.
// - Errors come back as model::error values (e.g. 503 when the backing store is unreachable).
// - Keyed channels: a publish with a key changes that key's latest value (set, incr, remove)
//   atomically with the offset it is assigned; the caller has checked that the channel is keyed
//   (by its limits) and the key valid. Refusals: too_many_keys past max_keys live keys,
//   not_a_counter, key_not_found (remove of a key without a value). A removed key is kept as a
//   deletion event (bounded like live keys: at most max_keys of them, the oldest forgotten first)
//   so catch-up by key reports it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::broker {

class broker_handler {
public:
    virtual ~broker_handler() = default;
    // Called in offset order per channel, from the broker's thread; must not block.
    virtual void on_event(const model::event_ptr& ev) = 0;
};

// What one channel keeps: history by events, age and bytes (data + 64 per event; 0: no byte
// bound), and whether it is keyed (the latest event of every key, at most max_keys live keys).
struct channel_limits {
    std::size_t size = 100;
    std::int64_t ttl_ms = 10 * 60 * 1000;
    std::size_t max_bytes = 1 << 20;
    bool keyed = false;
    std::size_t max_keys = 0;
};
// The limits for a channel (its policy by pattern), asked at each publish to it and each
// read_latest; any thread, must not block or call into the broker.
using channel_limits_fn = std::function<channel_limits(const std::string& channel)>;

// A channel's stream state and the history after a given offset.
struct channel_history {
    std::string channel;
    std::string epoch;
    std::uint64_t last_offset = 0;      // the newest offset assigned (0: nothing published yet)
    std::uint64_t first_available = 0;  // the oldest offset history still holds (last_offset + 1 if none)
    std::vector<model::event_ptr> events;
    // read_latest of a keyed channel: `events` are the latest event of every key, deletions
    // included, oldest first, and first_available is the lowest offset from which that catch-up by
    // key is exact (a cursor at offset `after` is served when after + 1 >= first_available).
    bool keyed = false;
};

// What the inspect API shows of one channel's stream.
struct channel_info {
    std::string channel;
    std::string epoch;
    std::uint64_t last_offset = 0;       // the newest offset assigned
    std::uint64_t first_available = 0;   // the oldest offset history holds (last_offset + 1 if none)
    std::size_t history_size = 0;        // events history holds now
    std::uint64_t publishes = 0;         // events published to it since the broker started (repeats of an
                                         // idempotency key not counted)
    std::int64_t last_published_at = 0;  // ms since the Unix epoch of the newest event; 0 if none
    std::size_t keys = 0;                // a keyed channel's live keys
};

struct broker_stats {
    std::size_t channels = 0;
    std::size_t history_events = 0;
    std::size_t idempotency_keys = 0;  // remembered now (memory broker; Redis expires its own)
};

class broker {
public:
    using publish_callback = std::function<void(model::result<model::publish_result>)>;
    using read_callback = std::function<void(model::result<channel_history>)>;
    using info_callback = std::function<void(model::result<std::optional<channel_info>>)>;
    using list_callback = std::function<void(model::result<std::vector<channel_info>>)>;

    virtual ~broker() = default;
    // Set once before the first publish; the handler outlives the broker's use of it.
    virtual void set_handler(broker_handler* handler) = 0;
    virtual void publish(model::publish_request&& req, publish_callback done) = 0;
    // after == nullopt: position only, no events; otherwise events with offset > after (≤ limit).
    virtual void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                      read_callback done) = 0;
    // The channel's latest state. Keyed channel (by its limits): the latest event of every key,
    // deletions included, oldest first (see channel_history::keyed). Other channels: the newest
    // event history holds, if any. The position fields as read() gives them.
    virtual void read_latest(const std::string& channel, read_callback done) = 0;
    // The channel's stream state; nullopt when the broker holds none (never published to).
    virtual void info(const std::string& channel, info_callback done) = 0;
    // Channels the broker holds whose names start with `prefix` and sort after `after` (byte order;
    // "" for the first page): the first `limit` of them, in name order.
    virtual void list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                               list_callback done) = 0;
    virtual broker_stats stats() const = 0;
    virtual std::string kind() const = 0;
    // Whether the backing store answers now (any thread); /readyz and herald_broker_up show it.
    virtual bool healthy() const { return true; }
};

}  // namespace herald::broker
