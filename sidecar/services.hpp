// What every session needs from the server: config, access policy, node, metrics, shards, logger.
// Owned by the server and outliving every session; fields are thread-safe to use.
#pragma once

#include <atomic>
#include <cstdint>
#include <spdlog/logger.h>

#include "lib/auth/access_policy.hpp"
#include "lib/config/config.hpp"
#include "lib/node/node.hpp"
#include "sidecar/metrics.hpp"
#include "sidecar/shard.hpp"

namespace herald::sidecar {

struct services {
    const config::config& cfg;
    const auth::access_policy& auth;
    node::node& node;
    metrics& stats;
    shard_pool& shards;
    spdlog::logger& log;
    std::atomic<std::uint64_t> next_connection_id{1};
    std::atomic<bool> stopping{false};
};

}  // namespace herald::sidecar
