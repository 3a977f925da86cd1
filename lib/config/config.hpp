// Configuration values with their defaults: what `herald serve` runs with.
// Plain structs, no I/O. Every field a user can set is described once in lib/config/options
// (its JSON key, flag, environment variable, type, range and meaning).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::config {

struct limits_config {
    std::size_t max_body_bytes = 1 << 20;           // publish request bodies
    std::size_t max_event_bytes = 64 << 10;         // one event's data
    std::size_t max_header_bytes = 16 << 10;        // request line + headers
    std::int64_t request_timeout_ms = 10000;        // to read one whole request
    std::size_t max_connections = 20000;            // on the public listener
    std::size_t max_internal_connections = 1000;    // on the internal listener, counted apart
    std::size_t outbox_bytes = 1 << 20;             // per stream connection before it is a slow consumer
    std::size_t max_channels_per_connection = 16;
    std::size_t max_batch_publishes = 1000;         // events x channels one publish request may expand into
};

struct sse_config {
    std::int64_t keepalive_ms = 15000;
    std::int64_t retry_ms = 2000;
};

struct ws_config {
    std::int64_t ping_interval_ms = 25000;  // a client silent for two intervals is closed
    std::size_t max_message_bytes = 64 << 10;
};

struct history_config {
    std::size_t size = 100;
    std::int64_t ttl_ms = 10 * 60 * 1000;
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
    std::size_t max_bytes = 1 << 20;                // per channel: data + per-event overhead
    std::size_t max_channels = 100000;              // channels with state at once (broker-wide)
};

struct redis_config {
    std::int64_t command_timeout_ms = 2000;  // a command not answered by then fails with broker_timeout
    std::int64_t ping_interval_ms = 1000;    // both connections are PINGed this often (broker health)
};

struct auth_config {
    std::vector<std::string> jwt_secrets;           // HS* keys; any of them verifies
    std::vector<std::string> jwt_public_key_files;  // PEM files with RS*/ES* public keys
    std::vector<std::string> api_keys;              // publishers and tools on the internal listener
    std::vector<std::string> public_channels;       // patterns anyone may subscribe to
    std::string token_cookie;                       // cookie carrying the subscriber token, if any
    std::vector<std::string> allowed_origins;       // origins that may use credentialed (cookie) requests
    std::string jwt_audience;                       // required `aud`, if set
    std::string jwt_issuer;                         // required `iss`, if set
    std::int64_t expiring_notice_ms = 60000;        // herald.auth_expiring this long before exp
};

// Lifecycle webhooks to the app (docs/lifecycle.md): presence transitions, debounced, at least once.
struct webhooks_config {
    std::vector<std::string> urls;    // http://HOST:PORT/PATH endpoints of the app; none: no webhooks
    std::vector<std::string> events;  // the kinds sent (user.online ...); empty: all four
    std::string secret;               // HMAC-SHA256 key of the Herald-Signature header; empty: unsigned
    std::int64_t debounce_ms = 5000;  // a user or channel back within this long sends nothing
    std::size_t queue_size = 10000;   // items waiting per endpoint; past it the queue becomes one resync
    std::size_t batch_size = 100;     // items per POST at most
    std::int64_t timeout_ms = 5000;   // one POST, connect to answer
    std::int64_t retry_min_ms = 500;  // backoff after a failed POST, doubling up to retry_max_ms
    std::int64_t retry_max_ms = 30000;
    std::int64_t give_up_ms = 60000;  // failing this long: the queue becomes one resync
};

// Presence across nodes and occupancy pushed to subscribers.
struct presence_config {
    std::int64_t heartbeat_ttl_ms = 15000;       // a node silent this long (crashed) loses its counts
    std::int64_t occupancy_interval_ms = 1000;   // herald.occupancy at most once per channel per interval
};

struct shutdown_config {
    std::int64_t drain_window_ms = 5000;  // streams are ended spread over this window, with jitter
    std::int64_t timeout_ms = 15000;      // then whatever is left is closed and the process exits
};

// One entry of the `channels` list: a pattern and the options it sets; unset options fall back
// to the global ones (lib/config/channel_policies resolves them).
// What a stream does with a subscriber that falls behind by limits.outbox_bytes on a channel.
enum class slow_consumer_mode {
    disconnect,   // end it with slow_consumer; it resumes from its cursor
    conflate,     // keyed: keep at most one queued event per key, the newest
    drop_oldest,  // not keyed: drop the oldest queued events, and tell it with herald.gap
};

struct channel_rule {
    std::string pattern;                           // auth pattern syntax: a name, or a prefix ending in '*'
    std::optional<std::size_t> history_size;
    std::optional<std::int64_t> history_ttl_ms;
    std::optional<std::size_t> history_max_bytes;
    std::optional<bool> public_channel;            // `public`: no token needed (true) or always needed (false)
    std::optional<bool> keyed;                     // latest event per key
    std::optional<std::size_t> max_keys;           // live keys of a keyed channel
    std::optional<std::int64_t> conflate_ms;       // conflation window of a keyed channel
    std::optional<slow_consumer_mode> slow_consumer;
    std::optional<bool> occupancy;                 // subscribers get herald.occupancy (their count)
    std::optional<bool> webhooks;                  // channel.occupied/vacated webhooks (default true)

    bool operator==(const channel_rule&) const = default;
};

struct config {
    std::string public_address = "0.0.0.0:8080";
    std::string internal_address = "127.0.0.1:8081";
    std::vector<std::string> internal_hosts;  // Host names the internal listener answers besides loopback and IPs
    std::string broker = "memory";
    std::string log_level = "info";
    std::string log_format = "text";  // text or json (one JSON object per line)
    std::size_t threads = 0;          // 0: one per hardware thread
    std::size_t metrics_top_channels = 10;  // channels with per-channel figures in /metrics
    shutdown_config shutdown;
    limits_config limits;
    sse_config sse;
    ws_config ws;
    history_config history;
    redis_config redis;
    auth_config auth;
    webhooks_config webhooks;
    presence_config presence;
    std::vector<channel_rule> channels;  // per-pattern channel policies, first match wins
};

}  // namespace herald::config
