// The Redis broker's script calls: each broker operation is one script (redis_scripts.hpp) run on
// the command connection with EVALSHA, or EVAL when Redis does not know it (restarted, SCRIPT
// FLUSH). This builds each call's keys and arguments from the options and decodes its reply into
// model values, or into a 503 naming the URL and why (broker_timeout when Redis did not answer in
// time, unavailable when the connection is down or Redis refused the command).
// Threading: every member, and every callback it makes, runs on the broker's io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/broker/broker.hpp"
#include "lib/broker/redis_broker.hpp"
#include "lib/broker/redis_connection.hpp"
#include "lib/broker/redis_script.hpp"
#include "lib/broker/redis_url.hpp"
#include "lib/util/clock.hpp"

namespace herald::broker {

// What the script calls need from the broker around them.
struct redis_script_hooks {
    std::function<void()> lost;               // a reply will never come (the connection is down or
                                              // dropped); called before the callback is answered
    std::function<std::string()> last_error;  // why the connection last failed ("" if never)
};

class redis_script_calls {
public:
    redis_script_calls(redis_connection& cmd, const redis_url& url, const redis_broker_options& opts,
                       const util::clock& clock, redis_script_hooks hooks);

    // How long a channel's keys outlive its last publish: max(history ttl, idempotency window), or
    // 0 when history does not expire.
    std::int64_t keep_ms() const;
    // The shortest keep any channel may have: keep_ms(), or with policies by pattern the
    // idempotency window when shorter (a channel's keep is at least that). Watched channels are
    // touched well within it.
    std::int64_t touch_within_ms() const;
    // Loads every script ahead of the first EVALSHA (a NOSCRIPT falls back to EVAL anyway).
    void load();

    void publish(model::publish_request&& req, broker::publish_callback done);
    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              broker::read_callback done);
    // broker::read_latest: keyed or not by the channel's limits.
    void read_latest(const std::string& channel, broker::read_callback done);
    void info(const std::string& channel, broker::info_callback done);
    void list(const std::string& prefix, const std::string& after, std::size_t limit, broker::list_callback done);
    // Prunes expired channels from Redis's index; `counted` gets the channels left (not called on
    // an error).
    void sweep(std::int64_t now_ms, std::function<void(std::size_t)> counted);
    // Keeps the keys of `channels` alive for keep_ms from now, in batches.
    void touch(std::int64_t now_ms, const std::vector<std::string>& channels);

private:
    using script = redis_script;
    static redis_script make_script(const char* body);  // the prelude and `body`, with its SHA1

    void eval(const script& s, const std::vector<std::string>& keys, const std::vector<std::string>& args,
              std::function<void(redisReply*)> handler);
    std::string key(const char* kind, const std::string& channel) const;
    channel_limits limits_of(const std::string& channel) const;  // the policy's, or the global options
    std::string fresh_epoch();
    model::error unavailable(const std::string& what) const;
    model::error refused(const std::string& what, const redisReply* r) const;

    redis_connection& cmd_;
    const redis_url& url_;
    const redis_broker_options& opts_;
    const util::clock& clock_;
    redis_script_hooks hooks_;
    std::mt19937_64 gen_;
    const script publish_;
    const script read_;
    const script read_latest_;
    const script info_;
    const script list_;
    const script sweep_;
    const script touch_;
};

}  // namespace herald::broker
