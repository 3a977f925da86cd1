// Redis broker: positions, history and idempotency keys live in Redis, so several herald nodes on
// one Redis behave as one gateway. Each publish is one Lua script (see redis_scripts.hpp): it
// assigns (epoch, offset), appends to the bounded history, remembers the idempotency key and
// PUBLISHes the event, atomically. Every node PSUBSCRIBEs to all channels' events and hands them
// to its handler, local publishes included, in offset order per channel.
//
// Contract (beyond broker.hpp):
// - create() parses the URL and starts connecting in the background; it fails only on a bad URL.
//   open() is create() + wait_connected(): it fails, naming the URL (password masked) and the
//   reason, when Redis does not answer within options.start_wait. Either way the broker keeps
//   retrying with a capped exponential backoff until it is destroyed.
// - Threads: the broker owns one io_context and one thread; both connections (commands,
//   pipelined; pub/sub) and every callback (publish/read/info/list results, on_event) run on it.
//   Public methods may be called from any thread; they post and return without blocking
//   (wait_connected/open block their caller, never the broker's thread). Callbacks must not block,
//   and must not call wait_connected or destroy the broker.
// - Every command has a deadline (command_timeout) and both connections are probed every
//   ping_interval, so a hung Redis (stopped, or a black hole) is noticed: the late command and every
//   one pending behind it answer 503 `broker_timeout`, the connection is recycled (closed, then
//   reconnected with backoff) and healthy() is false until it answers again.
// - While the command connection is down, publish/read/info/list answer a 503 error with a hint:
//   `broker_timeout` when Redis stopped answering, `unavailable` when it refused or closed the
//   connection; healthy() is false until both connections are back and resubscribed. A command in
//   flight when the connection drops or times out may or may not have been applied: retry
//   publishes with the same idempotency key.
// - Bounded state: every per-channel key expires keep_ms() after the channel's last publish
//   (refreshed by each publish), the epoch key keep_ms() after it was drawn, so a channel that
//   expired starts again at offset 1 in a new epoch (old cursors get a reset, never a gap). At most
//   max_channels channels have state at once (Redis-wide); a publish creating one more answers 503.
//   History is bounded by count, bytes (data + 64 per event) and age.
// - Keyed channels: a publish with a key changes the key's latest value in the same script that
//   assigns its offset (so nodes incrementing one counter never lose or repeat a sum), with the
//   memory broker's refusals (too_many_keys, not_a_counter, key_not_found). While a keyed channel
//   has a live key, its position and keyed keys do not expire (a counter outlives history.ttl and
//   the channel keeps its epoch); its history still ages and expires. Bounded by max_keys live keys
//   and max_keys remembered deletions per channel. A repeat of an idempotency key returns the
//   counter value of the incr it repeats.
// - Epochs: a channel takes the Redis-wide epoch (P epoch) when first published to; a Redis that
//   lost its data draws a new one, so resuming clients get a reset, never a silent gap. Reads of
//   a never-published channel return that epoch too (they may create the epoch key, nothing else).
// - Times (published_at, history age, idempotency window) come from the injected clock.
// - Events published while this node's subscription was down are handed to on_event from history,
//   in order, when the channel's next event arrives (gap fill); what history no longer holds stays
//   missing, and a new epoch is passed on as it comes. The node remembers (epoch, last offset) of
//   every channel it has handed on, and forgets channels with no event for keep_ms(). Bounded (the
//   rules and outcomes in gap_fill.hpp): at most 10,000 events held per channel while its fill is in
//   flight (more are dropped, and filled by the channel's next gap), at most 2 × max_channels
//   channels followed (past that a channel's events go on unsequenced until idle ones are forgotten).
// - stats(): channels is refreshed every few seconds from Redis (which prunes expired channels
//   from its index then); history_events is not tracked (0).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/broker/broker.hpp"
#include "lib/broker/redis_url.hpp"
#include "lib/util/clock.hpp"

namespace herald::broker {

struct redis_broker_options {
    std::size_t history_size = 100;
    std::int64_t history_ttl_ms = 10 * 60 * 1000;
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
    std::size_t history_max_bytes = 1 << 20;  // per channel: data + 64 per event; 0: no byte bound
    std::size_t max_channels = 100000;        // channels with state in Redis at once
    // When set, each channel's history limits (policy by pattern), asked at every publish to it and
    // passed to the publish script; the channel's keys then live max(its ttl, idempotency window).
    // Otherwise the three history options above, for all.
    channel_limits_fn limits_for;
    std::string key_prefix = "herald:";  // keys and pub/sub channels; no glob characters (*?[])
    std::chrono::milliseconds command_timeout{2000};  // a command not answered by then: broker_timeout
    std::chrono::milliseconds ping_interval{1000};    // both connections are probed this often
    std::chrono::milliseconds start_wait{3000};       // open(): how long to wait for the first connection
    std::chrono::milliseconds connect_timeout{2000};  // one connect + AUTH/SELECT/PING
    std::chrono::milliseconds reconnect_min{50};      // backoff between attempts: doubles from min to max
    std::chrono::milliseconds reconnect_max{2000};
    std::chrono::milliseconds stats_interval{2000};
    // The channels this node's subscribers watch (the hub's): every keep_ms()/4 their keys are
    // kept alive, so a quiet channel with subscribers never expires into a new epoch. Called on the
    // broker's thread; must not call into the broker.
    std::function<std::vector<std::string>()> live_channels;
};

class redis_broker final : public broker {
public:
    // Parses `url` and starts connecting; an error only for a URL it cannot use.
    static model::result<std::unique_ptr<redis_broker>> create(std::string_view url, const util::clock& clock,
                                                               redis_broker_options opts = {});
    // create() and wait_connected(opts.start_wait).
    static model::result<std::unique_ptr<redis_broker>> open(std::string_view url, const util::clock& clock,
                                                             redis_broker_options opts = {});

    redis_broker(redis_url url, const util::clock& clock, redis_broker_options opts);
    ~redis_broker() override;  // closes both connections (pending callbacks get 503) and joins the thread

    // Blocks the caller until healthy() or the timeout; then the error naming the URL and why.
    std::optional<model::error> wait_connected(std::chrono::milliseconds timeout);
    // Both connections up and the subscription active. Any thread.
    bool healthy() const override;
    // Why the last connect failed or the connection dropped; empty if never. Any thread.
    std::string last_error() const;
    const redis_url& url() const;
    // How long a channel's keys outlive its last publish: max(history ttl, idempotency window), or
    // 0 (no expiry) when history does not expire.
    std::int64_t keep_ms() const;
    // Channels this node remembers a position for (the gap fill's map). Any thread.
    std::size_t followed_channels() const;

    void set_handler(broker_handler* handler) override;
    void publish(model::publish_request&& req, publish_callback done) override;
    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              read_callback done) override;
    void read_latest(const std::string& channel, read_callback done) override;
    void info(const std::string& channel, info_callback done) override;
    void list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                       list_callback done) override;
    broker_stats stats() const override;
    std::string kind() const override { return "redis"; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace herald::broker
