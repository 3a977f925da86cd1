// JSON bodies of the inspect API's replies (GET /v1/channels, /v1/channels/{ch},
// /v1/channels/{ch}/events, /v1/connections, /v1/stats), rendered from plain values: the wire
// member names and their order live here, the look-ups that gather the values in the sidecar.
// Strings that are not valid UTF-8 are rendered with U+FFFD in place of bad bytes. Pure
// functions, no I/O; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/event.hpp"

namespace herald::protocol {

// One channel's stream as the inspect API shows it (the fields of broker::channel_info).
struct channel_summary {
    std::string_view channel;
    std::string_view epoch;
    std::uint64_t last_offset = 0;
    std::uint64_t first_available = 0;
    std::size_t history_size = 0;
    std::uint64_t publishes = 0;
    std::int64_t last_published_at = 0;  // ms since the Unix epoch; 0 (none) is rendered null
    std::size_t keys = 0;                // a keyed channel's live keys
};

// The channel policy in force for one channel (lib/config/channel_policies): the pattern of the
// `channels` entry that matched (none: nullopt, rendered null) and the values it resolves to.
struct channel_policy_summary {
    std::optional<std::string_view> pattern;
    std::size_t history_size = 0;
    std::int64_t history_ttl_ms = 0;
    std::size_t history_max_bytes = 0;
    bool public_channel = false;
    bool keyed = false;
    std::size_t max_keys = 0;       // 0 when not keyed
    std::int64_t conflate_ms = 0;   // 0: none
    std::string_view slow_consumer = "disconnect";
};

// A row of GET /v1/channels: the channel and this node's subscribers of it.
struct channel_list_entry {
    channel_summary channel;
    std::size_t subscribers = 0;
};

// This node's subscribers of one channel, by transport.
struct subscriber_counts {
    std::size_t sse = 0;
    std::size_t ws = 0;
};

// One stream connection as GET /v1/connections shows it.
struct connection_summary {
    std::uint64_t id = 0;
    std::optional<std::string> user;  // the token's sub; null when none
    std::string_view transport;       // "sse" or "ws"
    bool internal_listener = false;   // "internal", else "public"
    std::vector<std::string> channels;
    std::string remote;  // "203.0.113.7:50412"
    std::int64_t connected_at_ms = 0;
    std::size_t outbox_bytes = 0;
};

// What GET /v1/stats shows of the whole node.
struct node_stats {
    std::string_view version;
    std::string_view broker;  // the broker's kind: "memory", "redis"
    std::int64_t started_at_ms = 0;
    std::int64_t uptime_ms = 0;
    std::int64_t sse_open = 0;
    std::int64_t ws_open = 0;
    std::int64_t connections_open = 0;
    std::size_t channels = 0;         // channels with subscribers here
    std::size_t broker_channels = 0;  // channels the broker holds
    std::size_t subscriptions = 0;
    std::size_t history_events = 0;
    std::uint64_t publishes = 0;
    std::uint64_t publish_errors = 0;
    std::uint64_t deliveries = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t slow_consumer_disconnects = 0;
};

// {"channels":[{"channel","subscribers","epoch","last_offset","history_size","publishes",
// "last_published_at"},..],"next_cursor"}: next_cursor is the last channel shown when `more`
// (another page follows), else null.
std::string channel_list_json(std::span<const channel_list_entry> entries, bool more);

// {"channel","subscribers":{"sse","ws","total"},"epoch","last_offset","first_available",
// "history_size","publishes","last_published_at","policy":{"pattern","history_size",
// "history_ttl_ms","history_max_bytes","public","keyed"[,"max_keys","conflate_ms"],"slow_consumer"}
// [,"keys"]}: max_keys, conflate_ms (0: none) and keys (live keys held) only for a keyed channel
std::string channel_json(const channel_summary& c, subscriber_counts subscribers, const channel_policy_summary& policy);

// {"offset","epoch"[,"key"][,"event"],"data"|"deleted":true,"published_at"}: one event of a
// channel's history (data as stored for JSON, quoted for text). Hand-written: a history page
// renders many.
std::string history_event_json(const model::event& ev);

// {"channel","epoch","events":[..],"first_available","last_offset"}
std::string channel_history_json(std::string_view channel, std::string_view epoch,
                                 std::span<const model::event_ptr> events, std::uint64_t first_available,
                                 std::uint64_t last_offset);

// {"channel","epoch","keyed","events":[..],"last_offset"}: GET /v1/channels/{c}/latest, the
// latest event of every key (keyed; live keys only, oldest first) or the newest event.
std::string channel_latest_json(std::string_view channel, std::string_view epoch, bool keyed,
                                std::span<const model::event_ptr> events, std::uint64_t last_offset);

// {"connections":[{"id","user","transport","listener","channels","remote","connected_at",
// "outbox_bytes"},..],"total"}: `total` counts every match, `shown` is the page of them.
std::string connections_json(std::span<const connection_summary> shown, std::size_t total);

// {"version","broker","started_at","uptime_ms","connections":{"sse","ws","total"},"channels",
// "broker_channels","subscriptions","history_events","publishes","publish_errors","deliveries",
// "bytes_out","slow_consumer_disconnects"}
std::string stats_json(const node_stats& s);

}  // namespace herald::protocol
