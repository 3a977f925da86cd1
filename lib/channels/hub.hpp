// The Hub: which subscribers are on which channel, and broadcast of events to them.
// Subscribers are kept per shard, and each shard's lists are touched only on that shard's thread,
// so delivery takes no lock. broadcast() (any thread) encodes nothing itself: it wraps the event
// once and appends it to the inbox of each shard that has subscribers; a shard empties its inbox
// in append order, so per-channel order never depends on the executor's ordering of tasks posted
// from different threads. One task is posted per inbox that was empty, not per event.
// Per-channel subscriber counts are kept under one mutex for broadcast targeting and inspection.
//
// Conflation (a channel policy's `conflate`, keyed channels): for a channel whose window
// (hub_options::conflate_ms_for, asked at each broadcast, so SIGHUP takes effect on the next
// event) is above 0, every subscriber gets at most one update per key per window, the latest, so
// a hot ticker costs the same whatever the publish rate. It is done once per channel here, not
// per subscriber: an event that arrives when no delivery or flush of its channel happened within
// the last window goes out at once (a quiet channel gets no latency) and opens a window; events
// within the window wait in the channel's pending map (lib/channels/conflation.hpp: one per key,
// the newest; a deletion is an update like any other; an event without a key is never dropped),
// and the window's end (shard_executor::post_after, on the shard the channel hashes to) hands
// them to the shards' inboxes by offset ascending and opens the next window, or closes it when
// nothing was pending. So positions stay exact: all delivered before a flush has a lower offset
// than all pending, and a stream just sees gaps in the offsets (lib/stream/resume_state). Events
// replaced in a window are counted through hub_options::on_conflated. The pending map is bounded
// by the channel's keys (max_keys, enforced by the broker); a channel's conflation state lives
// with its subscriber count, so it goes when the last subscriber leaves (whatever is pending
// would reach nobody), and when a window ends with nothing pending. A channel whose window drops
// to 0 gets its pending events delivered, in order, before its next event. Broadcasts of
// unconflated channels pay one atomic load and one branch (set_conflation_configured(false)
// skips conflate_ms_for altogether). Pending events and the window's bookkeeping are under the
// counts mutex; conflated events are queued to inboxes under it, so a flush and a leading-edge
// delivery can never overtake each other.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/channels/conflation.hpp"
#include "lib/channels/shard_executor.hpp"
#include "lib/channels/subscriber.hpp"

namespace herald::channels {

struct hub_options {
    // The conflation window of a channel by the policy in force, in ms; 0 (or no function): none.
    // Called from broadcast (any thread, no hub lock held); must be cheap and thread-safe.
    std::function<std::int64_t(const std::string&)> conflate_ms_for;
    // Events replaced in a window (never sent), as they are replaced; any thread, no hub lock held.
    std::function<void(std::uint64_t)> on_conflated;
};

class hub {
public:
    explicit hub(shard_executor& executor, hub_options options = {});

    // Whether any channel may be conflated now (the server sets it at start and on SIGHUP); while
    // false broadcast does not ask conflate_ms_for. Initially: whether conflate_ms_for is set.
    void set_conflation_configured(bool any) { conflation_configured_.store(any, std::memory_order_relaxed); }

    // On `shard`'s thread. A subscriber is added once per channel; remove() before it is destroyed.
    void add(std::size_t shard, const std::string& channel, subscriber* s);
    void remove(std::size_t shard, const std::string& channel, subscriber* s);

    // Any thread; call in offset order per channel (the broker guarantees it). Returns the number
    // of local subscribers the event was queued to (on a conflated channel: the subscribers it
    // goes to now or at the window's end, unless a newer event of its key replaces it).
    std::size_t broadcast(const model::event_ptr& ev);

    // Any thread: hands `n` to every local subscriber of its channel, on their shards (one task per
    // shard with subscribers). Returns the number of local subscribers at the time.
    std::size_t notify(const notice_ptr& n);

    std::size_t subscribers(const std::string& channel) const;
    // Channels with local subscribers whose names start with `prefix` and sort after `after` (byte
    // order): the first `limit`, in name order, with their subscriber counts. Any thread.
    std::vector<std::pair<std::string, std::size_t>> channels(const std::string& prefix, const std::string& after,
                                                              std::size_t limit) const;
    // The `n` channels with the most local subscribers, most first (ties by name); user: channels
    // are never among them (they name a user). Any thread.
    std::vector<std::pair<std::string, std::size_t>> busiest(std::size_t n) const;
    // On `shard`'s thread: that shard's subscribers of `channel` (empty when none).
    const std::vector<subscriber*>& local_subscribers(std::size_t shard, const std::string& channel) const;
    std::size_t channel_count() const;
    std::size_t subscription_count() const { return subscriptions_.load(std::memory_order_relaxed); }
    // Events of `channel` waiting for the end of its conflation window. Any thread.
    std::size_t conflation_pending(const std::string& channel) const;

private:
    struct counts;
    // Under counts_mutex_: queues `encoded` to the inbox of every shard of `c` with subscribers.
    void enqueue_locked(const counts& c, const encoded_event_ptr& encoded);
    // Under counts_mutex_: a broadcast of a channel that is conflated (window_ms > 0) or has
    // conflation state left from when it was. Returns the events discarded (for on_conflated).
    std::uint64_t broadcast_conflated_locked(const std::string& channel, counts& c, const model::event_ptr& ev,
                                             std::int64_t window_ms);
    // On a shard thread, from post_after: the end of the window `generation` of `channel`.
    void end_window(const std::string& channel, std::uint64_t generation);
    void schedule_window_end_locked(const std::string& channel, std::uint64_t generation, std::int64_t window_ms);
    void deliver_inbox(std::size_t shard);
    void deliver_on_shard(std::size_t shard, const encoded_event_ptr& ev);

    struct inbox {
        std::mutex mutex;
        std::vector<encoded_event_ptr> queued;  // under mutex
        bool scheduled = false;                 // a delivery task is posted and has not yet taken the queue
        std::vector<encoded_event_ptr> delivering;  // shard thread only
    };

    struct conflation_state {
        conflation_window window;
        std::uint64_t generation = 0;  // tells this state's timer from one of a state since dropped
        std::int64_t window_ms = 0;    // the latest broadcast's window: the length of the next one
    };
    struct counts {
        std::size_t total = 0;
        std::vector<std::uint32_t> per_shard;
        std::unique_ptr<conflation_state> conflation;  // null unless conflated (or just stopped being)
    };
    shard_executor& executor_;
    hub_options options_;
    std::atomic<bool> conflation_configured_;
    std::uint64_t next_generation_ = 0;  // under counts_mutex_
    std::vector<std::unordered_map<std::string, std::vector<subscriber*>>> shards_;
    std::vector<std::unique_ptr<inbox>> inboxes_;
    mutable std::mutex counts_mutex_;
    std::unordered_map<std::string, counts> counts_;
    std::atomic<std::size_t> subscriptions_{0};
};

}  // namespace herald::channels
