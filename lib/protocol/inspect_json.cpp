// Inspect API replies: ordered JSON (members in the documented order) dumped with invalid UTF-8
// replaced, except the history page, which is concatenated by hand with json_quote. Pure.
#include "lib/protocol/inspect_json.hpp"

#include <nlohmann/json.hpp>

#include "lib/protocol/json_codec.hpp"

namespace herald::protocol {

namespace {

using json = nlohmann::ordered_json;  // members in the documented order

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json nullable_time(std::int64_t ms) { return ms > 0 ? json(ms) : json(nullptr); }

}  // namespace

std::string channel_list_json(std::span<const channel_list_entry> entries, bool more) {
    json items = json::array();
    for (const auto& e : entries) {
        const auto& c = e.channel;
        items.push_back(json{{"channel", c.channel},
                             {"subscribers", e.subscribers},
                             {"epoch", c.epoch},
                             {"last_offset", c.last_offset},
                             {"history_size", c.history_size},
                             {"publishes", c.publishes},
                             {"last_published_at", nullable_time(c.last_published_at)}});
    }
    json next = more && !entries.empty() ? json(entries.back().channel.channel) : json(nullptr);
    return dump(json{{"channels", std::move(items)}, {"next_cursor", std::move(next)}});
}

std::string channel_json(const channel_summary& c, subscriber_counts s, const channel_policy_summary& p) {
    json policy{{"pattern", p.pattern ? json(*p.pattern) : json(nullptr)},
                {"history_size", p.history_size},
                {"history_ttl_ms", p.history_ttl_ms},
                {"history_max_bytes", p.history_max_bytes},
                {"public", p.public_channel},
                {"keyed", p.keyed}};
    if (p.keyed) {
        policy["max_keys"] = p.max_keys;
        policy["conflate_ms"] = p.conflate_ms;
    }
    policy["slow_consumer"] = p.slow_consumer;
    json out{{"channel", c.channel},
                     {"subscribers", {{"sse", s.sse}, {"ws", s.ws}, {"total", s.sse + s.ws}}},
                     {"epoch", c.epoch},
                     {"last_offset", c.last_offset},
                     {"first_available", c.first_available},
                     {"history_size", c.history_size},
                     {"publishes", c.publishes},
                     {"last_published_at", nullable_time(c.last_published_at)},
                     {"policy", std::move(policy)}};
    if (p.keyed) out["keys"] = c.keys;
    return dump(out);
}

std::string history_event_json(const model::event& ev) {
    std::string out = "{\"offset\":" + std::to_string(ev.offset) + ",\"epoch\":" + json_quote(ev.epoch);
    if (!ev.key.empty()) out.append(",\"key\":").append(json_quote(ev.key));
    if (!ev.name.empty()) out.append(",\"event\":").append(json_quote(ev.name));
    if (ev.deleted)
        out.append(",\"deleted\":true");
    else
        out.append(",\"data\":").append(ev.kind == model::data_kind::json ? ev.data : json_quote(ev.data));
    out.append(",\"published_at\":").append(std::to_string(ev.published_at)).push_back('}');
    return out;
}

std::string channel_history_json(std::string_view channel, std::string_view epoch,
                                 std::span<const model::event_ptr> events, std::uint64_t first_available,
                                 std::uint64_t last_offset) {
    std::string out = "{\"channel\":" + json_quote(channel) + ",\"epoch\":" + json_quote(epoch) + ",\"events\":[";
    bool first = true;
    for (const auto& ev : events) {
        if (!first) out.push_back(',');
        first = false;
        out.append(history_event_json(*ev));
    }
    out.append("],\"first_available\":")
        .append(std::to_string(first_available))
        .append(",\"last_offset\":")
        .append(std::to_string(last_offset))
        .push_back('}');
    return out;
}

std::string channel_latest_json(std::string_view channel, std::string_view epoch, bool keyed,
                                std::span<const model::event_ptr> events, std::uint64_t last_offset) {
    std::string out = "{\"channel\":" + json_quote(channel) + ",\"epoch\":" + json_quote(epoch) +
                      ",\"keyed\":" + (keyed ? "true" : "false") + ",\"events\":[";
    bool first = true;
    for (const auto& ev : events) {
        if (ev->deleted) continue;
        if (!first) out.push_back(',');
        first = false;
        out.append(history_event_json(*ev));
    }
    out.append("],\"last_offset\":").append(std::to_string(last_offset)).push_back('}');
    return out;
}

std::string connections_json(std::span<const connection_summary> shown, std::size_t total) {
    json list = json::array();
    for (const auto& d : shown)
        list.push_back(json{{"id", d.id},
                            {"user", d.user ? json(*d.user) : json(nullptr)},
                            {"transport", d.transport},
                            {"listener", d.internal_listener ? "internal" : "public"},
                            {"channels", d.channels},
                            {"remote", d.remote},
                            {"connected_at", d.connected_at_ms},
                            {"outbox_bytes", d.outbox_bytes}});
    return dump(json{{"connections", std::move(list)}, {"total", total}});
}

std::string stats_json(const node_stats& s) {
    return dump(json{{"version", s.version},
                     {"broker", s.broker},
                     {"started_at", s.started_at_ms},
                     {"uptime_ms", s.uptime_ms},
                     {"connections", {{"sse", s.sse_open}, {"ws", s.ws_open}, {"total", s.connections_open}}},
                     {"channels", s.channels},
                     {"broker_channels", s.broker_channels},
                     {"subscriptions", s.subscriptions},
                     {"history_events", s.history_events},
                     {"publishes", s.publishes},
                     {"publish_errors", s.publish_errors},
                     {"deliveries", s.deliveries},
                     {"bytes_out", s.bytes_out},
                     {"slow_consumer_disconnects", s.slow_consumer_disconnects}});
}

}  // namespace herald::protocol
