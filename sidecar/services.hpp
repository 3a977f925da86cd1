// What every session needs from the server: config, access policy, node, metrics, shards, presence,
// logger.
// Owned by the server and outliving every session; members are thread-safe to use.
#pragma once

#include <atomic>
#include <cstdint>
#include <spdlog/logger.h>

#include "lib/auth/access_policy.hpp"
#include "lib/config/channel_policies.hpp"
#include "lib/config/config.hpp"
#include "lib/node/node.hpp"
#include "sidecar/metrics.hpp"
#include "sidecar/presence_service.hpp"
#include "sidecar/shard.hpp"

namespace herald::sidecar {

class services {
public:
    services(const config::config& cfg, const auth::access_policy& auth, const config::channel_policies& policies,
             node::node& node, sidecar::metrics& counters, shard_pool& shards, presence_service& presence,
             spdlog::logger& log)
        : node(node), metrics(counters), shards(shards), presence(presence), log(log), cfg_(&cfg), access_(&auth), policies_(&policies) {}

    // The settings and access policy in force. SIGHUP swaps in new ones (the server keeps every
    // version alive until it exits), so a reference taken here stays valid; take it per use.
    const config::config& cfg() const { return *cfg_.load(std::memory_order_acquire); }
    const auth::access_policy& access() const { return *access_.load(std::memory_order_acquire); }
    // The channel policies by pattern in force (the brokers ask them at each publish).
    const config::channel_policies& policies() const { return *policies_.load(std::memory_order_acquire); }
    void swap_in(const config::config& cfg, const auth::access_policy& auth, const config::channel_policies& policies) {
        cfg_.store(&cfg, std::memory_order_release);
        access_.store(&auth, std::memory_order_release);
        policies_.store(&policies, std::memory_order_release);
    }

    node::node& node;
    sidecar::metrics& metrics;
    shard_pool& shards;
    presence_service& presence;
    spdlog::logger& log;
    std::atomic<std::uint64_t> next_connection_id{1};
    std::atomic<bool> stopping{false};
    const std::int64_t started_at_ms = shard::wall_ms();       // for GET /v1/stats
    const std::int64_t started_steady_ms = shard::now_ms();  // uptime, immune to clock steps

private:
    std::atomic<const config::config*> cfg_;
    std::atomic<const auth::access_policy*> access_;
    std::atomic<const config::channel_policies*> policies_;
};

}  // namespace herald::sidecar
