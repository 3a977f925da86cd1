// config/config: the defaults `herald serve` runs with, held to what README.md, docs/api.md and the
// man page document (history 100 events / 10 min, keepalive 15 s, retry 2 s, 1 MiB outbox and body,
// 64 KiB events, 20000 connections, 16 channels per stream), so a changed default is a visible choice.
#include "lib/config/config.hpp"

#include <gtest/gtest.h>

namespace herald::config {
namespace {

TEST(Config, ListenersDefaultToPublicAnyAndInternalLoopback) {
    config c;
    EXPECT_EQ(c.public_address, "0.0.0.0:8080");
    EXPECT_EQ(c.internal_address, "127.0.0.1:8081");
    EXPECT_EQ(c.broker, "memory");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.threads, 0u);
}

TEST(Config, LimitsMatchTheDocumentedDefaults) {
    limits_config l;
    EXPECT_EQ(l.max_body_bytes, 1048576u);
    EXPECT_EQ(l.max_event_bytes, 65536u);
    EXPECT_EQ(l.max_connections, 20000u);
    EXPECT_EQ(l.outbox_bytes, 1048576u);
    EXPECT_EQ(l.max_channels_per_connection, 16u);
    EXPECT_GT(l.max_header_bytes, 0u);
    EXPECT_GT(l.request_timeout_ms, 0);
    EXPECT_LE(l.max_event_bytes, l.max_body_bytes);  // an event must fit in a publish body
}

TEST(Config, StreamsAndHistoryMatchTheDocumentedDefaults) {
    config c;
    EXPECT_EQ(c.sse.keepalive_ms, 15000);
    EXPECT_EQ(c.sse.retry_ms, 2000u);
    EXPECT_EQ(c.history.size, 100u);
    EXPECT_EQ(c.history.ttl_ms, 600000);
    EXPECT_GT(c.history.idempotency_window_ms, 0);
    EXPECT_GT(c.ws.ping_interval_ms, 0);
    EXPECT_EQ(c.ws.max_message_bytes, 65536u);
    EXPECT_GT(c.shutdown.timeout_ms, c.shutdown.drain_window_ms);
}

}  // namespace
}  // namespace herald::config
