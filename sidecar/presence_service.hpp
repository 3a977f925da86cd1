// Presence: who is connected and who watches which channel, across nodes; the lifecycle webhooks
// that tell the app; the occupancy counts pushed to subscribers. It owns one thread and one
// io_context: streams report their users and channels here (any thread: posted), a tick every
// 100 ms hands the debounced counts (lib/presence/presence_tracker) to the store (memory, or
// Redis for several nodes), the store answers with the cluster-wide transitions, and those become
// webhook items for every endpoint (sidecar/webhook_sender). With Redis the node heartbeats every
// third of presence.heartbeat_ttl and sweeps crashed nodes' counts. Channels whose policy says
// occupancy: true get herald.occupancy through the hub every occupancy interval when their total
// changed, and a stream that opens one asks current_occupancy() for the first.
// Lifetime: start() after the shards run; stop() after they are joined (retires the node, gives
// the webhook queues a moment to empty); destroy it after the shards (sessions report their end).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <spdlog/logger.h>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lib/channels/hub.hpp"
#include "lib/config/channel_policies.hpp"
#include "lib/config/config.hpp"
#include "lib/presence/lifecycle_event.hpp"
#include "lib/presence/presence_store.hpp"
#include "lib/presence/presence_tracker.hpp"
#include "sidecar/metrics.hpp"

namespace herald::sidecar {

class webhook_sender;

// One webhook endpoint as /v1/presence shows it.
struct webhook_status {
    std::string url;
    std::size_t queue_depth = 0;
    std::uint64_t last_delivered_position = 0;  // the newest transition position the app acknowledged
    std::string last_delivered_id;              // the last item's id it acknowledged (empty: none yet)
};

// herald.occupancy for both transports: {"channel":..,"subscribers":count}.
channels::notice_ptr occupancy_notice(const std::string& channel, std::uint64_t count);

class presence_service {
public:
    using policies_fn = std::function<const config::channel_policies&()>;
    // `store` may be a Redis store (it runs its own thread; its callbacks are posted here). Throws
    // std::runtime_error naming the setting when a webhooks.url cannot be used.
    presence_service(const config::config& cfg, std::unique_ptr<presence::presence_store> store,
                     channels::hub& hub, policies_fn policies, sidecar::metrics& counters,
                     std::shared_ptr<spdlog::logger> log);
    ~presence_service();

    void start();
    void stop();

    // Any thread. A stream of `user` opened / ended (streams without a user report nothing).
    void user_opened(const std::string& user);
    void user_closed(const std::string& user);
    // Any thread. A stream subscribed to / left `channel`.
    void channel_joined(const std::string& channel);
    void channel_left(const std::string& channel);

    // Any thread: the count for a stream that just opened `channel`: the last one sent, corrected
    // by this node's subscribers since (nullopt: none sent yet, the next interval sends one).
    std::optional<std::uint64_t> current_occupancy(const std::string& channel) const;

    // Any thread; `done` runs on the presence thread. The store's page, as GET /v1/presence shows it.
    void page(presence::subject kind, std::string after, std::size_t limit,
              std::function<void(model::result<presence::presence_page>)> done);
    // Any thread; `done` runs on the presence thread.
    void webhooks(std::function<void(std::vector<webhook_status>)> done);
    const std::string& node_id() const { return store_->node_id(); }
    std::string store_kind() const { return redis_ ? "redis" : "memory"; }

private:
    void post(std::function<void()> f);
    void schedule_flush();
    void flush();
    void on_changes(const std::vector<presence::presence_change>& changes);
    void heartbeat();
    // At stop: waits (polling) until every sender is idle or the deadline passes, then ends the loop.
    void finish_by(std::int64_t deadline_ms);
    void occupancy_tick();
    void send_occupancy(const std::vector<std::string>& names, const std::vector<std::uint64_t>& totals);
    void send(presence::lifecycle_event ev);
    void resync(std::string reason);
    bool wants(const presence::presence_change& c) const;
    static std::int64_t steady_ms();
    static std::int64_t wall_ms();

    config::webhooks_config webhooks_;
    config::presence_config presence_;
    std::unique_ptr<presence::presence_store> store_;
    bool redis_;
    channels::hub& hub_;
    policies_fn policies_;
    sidecar::metrics& metrics_;
    std::shared_ptr<spdlog::logger> log_;

    boost::asio::io_context io_{1};
    std::thread thread_;
    boost::asio::steady_timer flush_timer_, heartbeat_timer_, occupancy_timer_;
    presence::presence_tracker tracker_;
    bool flushing_ = false, stopped_ = false;
    bool store_failing_ = false;  // the last apply failed (logged once per streak)
    std::atomic<std::uint64_t> node_seq_{0};
    std::uint64_t newest_position_ = 0;
    std::vector<std::shared_ptr<webhook_sender>> senders_;
    std::vector<std::string> kinds_;  // webhooks.events, or all four

    mutable std::mutex occupancy_mutex_;
    struct occupancy_sent {
        std::uint64_t total = 0;  // the count last sent
        std::uint64_t local = 0;  // this node's subscribers then
    };
    std::unordered_map<std::string, occupancy_sent> occupancy_;  // by channel
    std::size_t occupancy_pending_ = 0;  // store calls of the last tick not answered yet
};

}  // namespace herald::sidecar
