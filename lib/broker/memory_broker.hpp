// Single-node broker: history rings and idempotency keys in memory, handler called inline.
// Thread-safe: a map lock to find a channel, then that channel's own lock for the publish step.
// Bounded: history by count, bytes and age; idempotency keys by count and window; channels by
// max_channels. sweep() (from the optional sweeper thread, or a test) forgets expired keys and
// history in every channel and drops channels idle for idle_after_ms() (empty history, no keys,
// no live key of a keyed channel: a counter is never forgotten while it has a value).
// Epochs: a channel keeps the epoch it was created in. The broker's current epoch is drawn at
// random when the broker starts (a restart is visible to resuming clients) and again once it is
// idle_after_ms() old, so a channel dropped while idle and created again never reuses its old
// epoch: a cursor or live subscriber from before gets a reset, never a silent gap.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "lib/broker/broker.hpp"
#include "lib/history/history_ring.hpp"
#include "lib/history/key_state.hpp"
#include "lib/util/clock.hpp"

namespace herald::broker {

struct memory_broker_options {
    std::size_t history_size = 100;
    std::int64_t history_ttl_ms = 10 * 60 * 1000;
    std::size_t history_max_bytes = 1 << 20;  // per channel: data + 64 per event; 0: no byte bound
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
    std::size_t idempotency_keys_per_channel = 1000;
    std::size_t max_channels = 100000;
    // When set, each channel's history limits (policy by pattern), asked at every publish to it;
    // a channel that has history takes changed limits then. Otherwise the three above, for all.
    channel_limits_fn limits_for;
    std::int64_t sweep_interval_ms = 0;  // > 0: a thread of the broker calls sweep() this often (real time)
    // Whether a channel has subscribers (the node's hub): such a channel is never idle, so a quiet
    // channel that someone watches keeps its epoch and its subscribers get no reset. Any thread;
    // must not call into the broker.
    std::function<bool(const std::string&)> in_use;
};

class memory_broker final : public broker {
public:
    memory_broker(const util::clock& clock, memory_broker_options opts);
    ~memory_broker() override;  // stops the sweeper thread

    void set_handler(broker_handler* handler) override { handler_ = handler; }
    void publish(model::publish_request&& req, publish_callback done) override;
    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              read_callback done) override;
    void read_latest(const std::string& channel, read_callback done) override;
    void info(const std::string& channel, info_callback done) override;
    void list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                       list_callback done) override;
    broker_stats stats() const override;
    std::string kind() const override { return "memory"; }
    // The epoch a channel created now takes (and an unknown channel reads in).
    std::string epoch() const;

    // Forgets expired idempotency keys and history everywhere; drops idle channels. Any thread.
    // Returns how many channels it dropped.
    std::size_t sweep();
    // A channel with no publish for this long (and so no history or keys left) is dropped;
    // max(history ttl, idempotency window), or 0 (never) when history does not expire.
    std::int64_t idle_after_ms() const;

private:
    struct channel_state;
    using state_ptr = std::shared_ptr<channel_state>;
    state_ptr find(const std::string& channel) const;
    state_ptr find_or_create(const std::string& channel);
    channel_info describe(const std::string& name, channel_state& ch) const;  // takes ch's lock
    channel_limits limits_of(const std::string& channel) const;
    // A read's position fields (an unknown channel: the current epoch, nothing published), then
    // `more` under the channel's lock to add what the read wants.
    channel_history position(const std::string& channel, const std::function<void(channel_state&, channel_history&)>& more);
    std::string epoch_at(std::int64_t now) const;
    bool idle(const std::string& name, channel_state& ch, std::int64_t now) const;  // ch's lock held
    void forget_keys(channel_state& ch, std::int64_t now, bool make_room) const;  // ch's lock held
    void sweeper();

    const util::clock& clock_;
    memory_broker_options opts_;
    broker_handler* handler_ = nullptr;
    mutable std::mutex epoch_mutex_;
    mutable std::string epoch_;
    mutable std::int64_t epoch_since_;
    mutable std::shared_mutex map_mutex_;
    std::unordered_map<std::string, state_ptr> channels_;
    std::atomic<std::int64_t> last_cap_sweep_{0};
    std::mutex sweeper_mutex_;
    std::condition_variable sweeper_cv_;
    bool stopping_ = false;
    std::thread sweeper_thread_;
};

}  // namespace herald::broker
