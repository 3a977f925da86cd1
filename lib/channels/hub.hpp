// The Hub: which subscribers are on which channel, and broadcast of events to them.
// Subscribers are kept per shard, and each shard's lists are touched only on that shard's thread,
// so delivery takes no lock. broadcast() (any thread) encodes nothing itself: it wraps the event
// once and appends it to the inbox of each shard that has subscribers; a shard empties its inbox
// in append order, so per-channel order never depends on the executor's ordering of tasks posted
// from different threads. One task is posted per inbox that was empty, not per event.
// Per-channel subscriber counts are kept under one mutex for broadcast targeting and inspection.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/channels/shard_executor.hpp"
#include "lib/channels/subscriber.hpp"

namespace herald::channels {

class hub {
public:
    explicit hub(shard_executor& executor);

    // On `shard`'s thread. A subscriber is added once per channel; remove() before it is destroyed.
    void add(std::size_t shard, const std::string& channel, subscriber* s);
    void remove(std::size_t shard, const std::string& channel, subscriber* s);

    // Any thread; call in offset order per channel (the broker guarantees it). Returns the number
    // of local subscribers the event was queued to.
    std::size_t broadcast(const model::event_ptr& ev);

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

private:
    void deliver_inbox(std::size_t shard);
    void deliver_on_shard(std::size_t shard, const encoded_event_ptr& ev);

    struct inbox {
        std::mutex mutex;
        std::vector<encoded_event_ptr> queued;  // under mutex
        bool scheduled = false;                 // a delivery task is posted and has not yet taken the queue
        std::vector<encoded_event_ptr> delivering;  // shard thread only
    };

    struct counts {
        std::size_t total = 0;
        std::vector<std::uint32_t> per_shard;
    };
    shard_executor& executor_;
    std::vector<std::unordered_map<std::string, std::vector<subscriber*>>> shards_;
    std::vector<std::unique_ptr<inbox>> inboxes_;
    mutable std::mutex counts_mutex_;
    std::unordered_map<std::string, counts> counts_;
    std::atomic<std::size_t> subscriptions_{0};
};

}  // namespace herald::channels
