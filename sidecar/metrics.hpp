// Process counters and gauges, exported as Prometheus text on GET /metrics.
// Relaxed atomics: any thread may bump them; a scrape reads a near-consistent snapshot.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herald::sidecar {

// Hot-path counters, one set per shard so delivery never contends on a shared cache line.
struct alignas(64) shard_counters {
    std::atomic<std::uint64_t> deliveries{0};
    std::atomic<std::uint64_t> bytes_out{0};
};

// A Prometheus histogram of durations with fixed buckets; observe() from any thread, lock-free.
class latency_histogram {
public:
    static constexpr double bounds_seconds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                0.005,   0.01,   0.025,   0.05,   0.1,   0.5};
    static constexpr std::size_t bucket_count = sizeof(bounds_seconds) / sizeof(bounds_seconds[0]);
    void observe(std::chrono::nanoseconds d);
    void render(std::string& out, const char* name, const char* help) const;

private:
    std::atomic<std::uint64_t> buckets_[bucket_count + 1] = {};  // the last one is +Inf
    std::atomic<std::uint64_t> sum_ns_{0};
};

struct metrics {
    explicit metrics(std::size_t shards) : shard_count(shards), per_shard(new shard_counters[shards]) {}
    using counter = std::atomic<std::uint64_t>;
    std::size_t shard_count;
    std::unique_ptr<shard_counters[]> per_shard;
    shard_counters& shard(std::size_t i) { return per_shard[i]; }

    counter connections_accepted{0};
    counter connections_rejected{0};  // over limits.max_connections
    std::atomic<std::int64_t> connections_open{0};           // both listeners
    std::atomic<std::int64_t> internal_connections_open{0};  // of which on the internal listener
    std::atomic<std::int64_t> public_connections_open{0};    // and on the public one
    // Counts a connection accepted on one listener; false, counting nothing, when that listener
    // already holds `cap` connections. Each listener has its own cap, so subscribers never crowd
    // out probes, metrics and publishers.
    bool try_open_connection(bool internal, std::size_t cap) {
        auto& mine = internal ? internal_connections_open : public_connections_open;
        if (static_cast<std::size_t>(mine.fetch_add(1, std::memory_order_relaxed) + 1) > cap) {
            mine.fetch_sub(1, std::memory_order_relaxed);
            return false;
        }
        connections_open.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    void connection_closed(bool internal) {
        (internal ? internal_connections_open : public_connections_open).fetch_sub(1, std::memory_order_relaxed);
        connections_open.fetch_sub(1, std::memory_order_relaxed);
    }
    counter reply_timeouts{0};                               // API requests answered 503 reply_timeout
    std::atomic<std::int64_t> sse_streams_open{0};
    counter sse_streams_total{0};
    std::atomic<std::int64_t> ws_open{0};
    counter ws_total{0};
    counter ws_handshake_failures{0};
    counter publishes{0};
    counter publish_errors{0};
    counter publishes_duplicate{0};
    counter slow_consumer_disconnects{0};
    counter slow_consumer_replaced{0};  // backlog (slow_consumer: conflate): events a newer one of their key replaced
    counter slow_consumer_dropped{0};   // backlog (slow_consumer: drop_oldest): events dropped
    counter gaps_sent{0};               // herald.gap events sent
    counter conflated_events{0};  // events of conflated channels a newer one of their key replaced in a window
    counter resets_sent{0};
    counter http_requests{0};
    counter http_errors_4xx{0};
    counter http_errors_5xx{0};
    counter requests_too_large{0};
    counter request_timeouts{0};
    latency_histogram publish_latency;  // publish request → broker result, per event
    counter user_disconnects{0};  // connections ended by POST /v1/users/{id}/disconnect
    counter tokens_expired{0};    // open streams ended at their token's exp
    // Lifecycle webhooks (sidecar/webhook_sender), summed over endpoints.
    counter webhook_items_sent{0};   // items in batches the app answered 2xx (resyncs included)
    counter webhook_retries{0};      // POSTs of a batch that had failed before
    counter webhook_failures{0};     // failed POST attempts (non-2xx, timeout, connection error)
    counter webhook_resyncs{0};      // resync items made (queue overflow, app unreachable)
    std::atomic<std::int64_t> webhook_queue_depth{0};  // items waiting, every endpoint
    counter presence_transitions{0};   // users online/offline, channels occupied/vacated (cluster-wide, seen here)
    counter presence_store_errors{0};  // counts the presence store did not take (retried)
    counter occupancy_notices{0};      // herald.occupancy events queued to subscribers
    counter occupancy_skipped{0};      // herald.occupancy events a full outbox skipped

    // Auth refusals by error code (token_required, invalid_token, ...), see auth_reasons.
    static constexpr const char* auth_reasons[] = {"token_required",  "invalid_token",       "token_expired",
                                                   "token_not_yet_valid", "forbidden",      "auth_not_configured",
                                                   "api_key_required", "invalid_api_key",  "origin_not_allowed",
                                                   "cross_origin_refused", "host_not_allowed"};
    static constexpr std::size_t auth_reason_count = sizeof(auth_reasons) / sizeof(auth_reasons[0]);
    counter auth_refusals[auth_reason_count] = {};
    void count_auth_refusal(const std::string& code);

    // Figures owned by others (Hub, broker, server), read at scrape time.
    struct gauges {
        std::size_t channels = 0, subscriptions = 0, history_events = 0;
        std::string broker_kind;
        bool broker_up = true;
        bool draining = false;
        std::vector<std::pair<std::string, std::size_t>> busiest;  // top-N channels by subscribers
    };
    // Prometheus text exposition.
    std::string render(const gauges& g) const;
};

}  // namespace herald::sidecar
