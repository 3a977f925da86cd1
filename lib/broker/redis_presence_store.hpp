// The presence store on Redis (presence_store.hpp's contract), shared by every node on one Redis:
// each node writes its own counts; sums, names with a sum above 0 and the position sequence are
// kept by Lua scripts (redis_presence_scripts.hpp, which has the key layout), so two nodes changing
// one user's count, or sweeping one dead node at once, report each transition exactly once.
// Contract (beyond presence_store.hpp):
// - create() parses the URL and starts connecting in the background; it fails only on a bad URL.
//   Threads: the store owns one io_context, one thread and one Redis connection (pipelined); every
//   callback runs on that thread. Public methods may be called from any thread; they post and
//   return without blocking. Callbacks must not block or destroy the store.
// - Every command has a deadline (command_timeout): a late answer, or Redis refusing or closing
//   the connection, answers 503 (`broker_timeout` / `unavailable`, naming the URL); the connection
//   reconnects by itself with a capped backoff. A command in flight when the connection drops may
//   or may not have been applied; apply() sets absolute counts, so repeating it is safe.
// - Heartbeats: heartbeat(ttl) keeps this node alive in Redis for ttl; apply() refreshes it for
//   the last heartbeat's ttl (options.heartbeat_ttl_ms before the first), so a node that applies
//   before its first heartbeat is never swept — except after retire(), which apply() then leaves
//   as it is (a heartbeat() after retire() makes the node alive again). A node whose heartbeat
//   lapsed loses its counts at any node's next sweep(): within ttl + the sweep interval.
// - heartbeat() answers true, or false when this node's counts in Redis may be gone (swept after its
//   heartbeat lapsed, Redis restarted empty, or the connection dropped, so a write may be lost): the
//   caller must then apply() all its counts again (a count that is still there causes nothing).
// - Bounds: apply() sends at most 1,000 counts per script (more go as several scripts, in order;
//   each key's change is atomic). A name must be 1..65,536 bytes and a count at most 2^53, else
//   apply() answers invalid_parameter and changes nothing. page() refuses a limit over 1,000,
//   totals() more than 1,000 names (invalid_parameter). sweep() removes about 1,000 counts per
//   script and runs scripts until none are left, so Redis is never blocked long by a big node; if
//   a later script fails, the transitions of the ones before are its answer.
// - Lost replies: an apply() answering an error may still have been applied (the reply was lost
//   with the connection, or a later script of a big apply failed): the transitions it caused are
//   then never reported. Callers that must not miss one treat a failed apply as "transitions may
//   be missing" (tell the app to resync); repeating the apply is safe but reports nothing new.
// - Positions come from one Redis counter: a Redis that restarted empty starts them again at 1
//   (with every count gone, so heartbeat() answers false and nodes report their counts again).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/broker/redis_url.hpp"
#include "lib/presence/presence_store.hpp"

namespace herald::broker {

struct redis_presence_options {
    std::string key_prefix = "herald:";               // keys are key_prefix + "presence:..."
    std::int64_t heartbeat_ttl_ms = 15000;            // apply()'s heartbeat until heartbeat() gives one
    std::chrono::milliseconds command_timeout{2000};  // a command not answered by then: broker_timeout
    std::chrono::milliseconds ping_interval{1000};    // an idle connection is probed this often
    std::chrono::milliseconds connect_timeout{2000};  // one connect + AUTH/SELECT/PING
    std::chrono::milliseconds reconnect_min{50};      // backoff between attempts: doubles from min to max
    std::chrono::milliseconds reconnect_max{2000};
};

class redis_presence_store final : public presence::presence_store {
public:
    static constexpr std::size_t max_batch = 1000;       // counts per apply script; page limit; totals names
    static constexpr std::size_t max_name_bytes = 65536;  // above any token sub or channel name

    // Parses `url` and starts connecting; an error only for a URL it cannot use.
    static model::result<std::unique_ptr<redis_presence_store>> create(std::string_view url,
                                                                       redis_presence_options opts = {});

    redis_presence_store(redis_url url, redis_presence_options opts);
    // Waits up to min(command_timeout, 1 s) for the commands in flight (so a retire() just before
    // is sent and answered), then closes the connection (callbacks still pending get 503) and joins
    // the thread. Callbacks may run during destruction: they must not touch what is gone already.
    ~redis_presence_store() override;

    // Blocks the caller until connected or the timeout; then the error naming the URL and why.
    std::optional<model::error> wait_connected(std::chrono::milliseconds timeout);
    bool healthy() const;  // the connection is up. Any thread.
    std::string last_error() const;  // why the connection last failed; empty if never. Any thread.

    void apply(std::vector<presence::node_count> counts, changes_callback done) override;
    void heartbeat(std::int64_t ttl_ms, done_callback done) override;
    void sweep(changes_callback done) override;
    void page(presence::subject kind, const std::string& after, std::size_t limit, page_callback done) override;
    void totals(presence::subject kind, std::vector<std::string> names, totals_callback done) override;
    void retire(std::int64_t linger_ms, done_callback done) override;
    const std::string& node_id() const override;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace herald::broker
