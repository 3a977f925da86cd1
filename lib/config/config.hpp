// Configuration values with their defaults: what `herald serve` runs with.
// Plain structs, no I/O; flags and HERALD_* variables are applied by cmd/serve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace herald::config {

struct limits_config {
    std::size_t max_body_bytes = 1 << 20;           // publish request bodies
    std::size_t max_event_bytes = 64 << 10;         // one event's data
    std::size_t max_header_bytes = 16 << 10;        // request line + headers
    std::int64_t request_timeout_ms = 10000;        // to read one whole request
    std::size_t max_connections = 20000;            // per process, both listeners
    std::size_t outbox_bytes = 1 << 20;             // per stream connection before it is a slow consumer
    std::size_t max_channels_per_connection = 16;
};

struct sse_config {
    std::int64_t keepalive_ms = 15000;
    unsigned retry_ms = 2000;
};

struct ws_config {
    std::int64_t ping_interval_ms = 25000;  // a client silent for two intervals is closed
    std::size_t max_message_bytes = 64 << 10;
};

struct history_config {
    std::size_t size = 100;
    std::int64_t ttl_ms = 10 * 60 * 1000;
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
};

struct config {
    std::string public_address = "0.0.0.0:8080";
    std::string internal_address = "127.0.0.1:8081";
    std::string broker = "memory";
    std::string log_level = "info";
    unsigned threads = 0;  // 0: one per hardware thread
    std::int64_t shutdown_timeout_ms = 5000;
    limits_config limits;
    sse_config sse;
    ws_config ws;
    history_config history;
};

}  // namespace herald::config
