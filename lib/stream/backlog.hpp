// A slow consumer's backlog on one channel whose policy keeps it instead of disconnecting it:
// live events that did not fit the outbox wait here, in offset order, and leave as the outbox
// drains. Two rules:
// - conflate (keyed channels): at most one event per key, the newest; a newer event of a queued
//   key replaces it and goes to the back, so what leaves is still in offset order and a resume
//   from any position it reached misses nothing (catch-up by key covers the replaced ones).
// - drop_oldest (other channels): the oldest events go while the backlog holds more than its
//   byte bound; what was dropped leaves first as one gap (first..last offset), so the client
//   learns of every event it missed.
// Bounded by `max_bytes` of event_cost (backlog_bound): a conflated backlog past it (very many
// large keys) is over() and the stream ends as a plain slow consumer.
// A conflating stream keeps its outbox short (defer_above, drain_up_to): a value queued there is
// past conflation, so a slow reader would read old values first; the backlog is where the newest
// of each key waits.
// Pure: no I/O, no clock. Single-threaded: owned by one stream session on its shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "lib/channels/encoded_event.hpp"

namespace herald::stream {

enum class backlog_rule { conflate, drop_oldest };

// Offsets first..last (inclusive) that were dropped.
struct gap {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

// Outbox bytes above which a live event of a channel with this rule waits in its backlog:
// conflate min(64 KiB, outbox / 4), drop_oldest the whole outbox.
std::size_t defer_above(backlog_rule rule, std::size_t outbox_max);
// Outbox bytes a backlog may fill again as it drains (one event whenever the outbox is idle):
// conflate as defer_above, drop_oldest half the outbox (as replay).
std::size_t drain_up_to(backlog_rule rule, std::size_t outbox_max);
// The most a backlog holds: conflate 4 × the outbox (it holds one event per key, so it is
// bounded by max_keys too), drop_oldest the outbox.
std::size_t backlog_bound(backlog_rule rule, std::size_t outbox_max);

class backlog {
public:
    backlog(backlog_rule rule, std::size_t max_bytes) : rule_(rule), max_bytes_(max_bytes) {}

    // Queues a live event (offsets grow).
    void push(channels::encoded_event_ptr ev);
    // Nothing queued and no gap to report.
    bool empty() const { return events_.empty() && !gap_; }
    // A conflated backlog holds more than max_bytes: the stream cannot be kept.
    bool over() const { return bytes_ > max_bytes_; }

    // What leaves first: a gap when events were dropped before the front.
    const std::optional<gap>& pending_gap() const { return gap_; }
    void take_gap() { gap_.reset(); }
    // The front event (pending_gap() empty, !events empty).
    const channels::encoded_event_ptr& front() const { return events_.front(); }
    void pop();
    bool has_event() const { return !events_.empty(); }

    std::size_t bytes() const { return bytes_; }
    std::uint64_t replaced() const { return replaced_; }  // conflate: events a newer one of their key replaced
    std::uint64_t dropped() const { return dropped_; }    // drop_oldest: events dropped

private:
    backlog_rule rule_;
    std::size_t max_bytes_;
    std::list<channels::encoded_event_ptr> events_;
    std::unordered_map<std::string, std::list<channels::encoded_event_ptr>::iterator> by_key_;  // conflate
    std::optional<gap> gap_;
    std::size_t bytes_ = 0;
    std::uint64_t replaced_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace herald::stream
