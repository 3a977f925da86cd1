// Inspect API: query checks, broker and hub look-ups, per-shard collection, JSON replies.
#include "sidecar/api_inspect.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <charconv>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "lib/model/channel.hpp"
#include "lib/node/channel_page.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/channels/subscriber.hpp"
#include "sidecar/shard.hpp"

namespace herald::sidecar {

using json = nlohmann::ordered_json;  // members in the documented order

namespace {

api_reply error_reply(const model::error& e) { return {static_cast<unsigned>(e.status), protocol::error_json(e)}; }
api_reply ok(const json& j) { return {200, j.dump(-1, ' ', false, json::error_handler_t::replace)}; }

using model::errors::channel_not_found;
using model::errors::invalid_parameter;

std::optional<std::uint64_t> parse_number(const std::string& s) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

// limit=N: 1 to inspect_max_limit, default inspect_default_limit.
model::result<std::size_t> parse_limit(const herald::http::request_target& t) {
    auto v = t.param("limit");
    if (!v) return inspect_default_limit;
    auto n = parse_number(*v);
    if (!n || *n == 0 || *n > inspect_max_limit)
        return invalid_parameter("limit '" + *v + "' is not a number from 1 to " + std::to_string(inspect_max_limit),
                                 "give limit=N with N from 1 to " + std::to_string(inspect_max_limit));
    return static_cast<std::size_t>(*n);
}

json nullable_time(std::int64_t ms) { return ms > 0 ? json(ms) : json(nullptr); }

// Runs each(i) on every shard's thread, then last() once, on the thread of the shard that ended last.
void on_every_shard(services& svc, std::function<void(std::size_t)> each, std::function<void()> last) {
    struct state {
        std::function<void(std::size_t)> each;
        std::function<void()> last;
        std::atomic<std::size_t> remaining;
    };
    auto st = std::make_shared<state>();
    st->each = std::move(each);
    st->last = std::move(last);
    st->remaining = svc.shards.shard_count();
    for (std::size_t i = 0; i < svc.shards.shard_count(); ++i)
        asio::post(svc.shards.at(i).io(), [st, i] {
            st->each(i);
            if (st->remaining.fetch_sub(1) == 1) st->last();
        });
}

struct transport_counts {
    std::size_t sse = 0, ws = 0;
};

// This node's subscribers of `channel` by transport, counted on each shard from the hub's lists.
void count_subscribers(services& svc, const std::string& channel, std::function<void(transport_counts)> done) {
    struct state {
        std::string channel;
        std::mutex mutex;
        transport_counts counts;
    };
    auto st = std::make_shared<state>();
    st->channel = channel;
    on_every_shard(
        svc,
        [&svc, st](std::size_t i) {
            transport_counts local;
            for (const auto* s : svc.node.hub().local_subscribers(i, st->channel)) {
                switch (s->transport()) {
                    case channels::transport::sse:
                        ++local.sse;
                        break;
                    case channels::transport::websocket:
                        ++local.ws;
                        break;
                    case channels::transport::other:
                        break;
                }
            }
            std::lock_guard lock(st->mutex);
            st->counts.sse += local.sse;
            st->counts.ws += local.ws;
        },
        [st, done = std::move(done)] { done(st->counts); });
}

// The stream position of a channel the broker holds nothing for (subscribers, no publish yet).
void starting_position(services& svc, const std::string& channel,
                       std::function<void(model::result<broker::channel_info>)> done) {
    svc.node.read(channel, std::nullopt, 0, [channel, done = std::move(done)](model::result<broker::channel_history> h) {
        if (!h) {
            done(h.err());
            return;
        }
        broker::channel_info i;
        i.channel = channel;
        i.epoch = h->epoch;
        i.last_offset = h->last_offset;
        i.first_available = h->first_available;
        done(std::move(i));
    });
}

json list_item(const broker::channel_info& i, std::size_t subscribers) {
    return json{{"channel", i.channel},
                {"subscribers", subscribers},
                {"epoch", i.epoch},
                {"last_offset", i.last_offset},
                {"history_size", i.history_size},
                {"publishes", i.publishes},
                {"last_published_at", nullable_time(i.last_published_at)}};
}

std::string event_json(const model::event& ev) {
    std::string out = "{\"offset\":" + std::to_string(ev.offset) + ",\"epoch\":" + protocol::json_quote(ev.epoch);
    if (!ev.name.empty()) out.append(",\"event\":").append(protocol::json_quote(ev.name));
    out.append(",\"data\":").append(ev.kind == model::data_kind::json ? ev.data : protocol::json_quote(ev.data));
    out.append(",\"published_at\":").append(std::to_string(ev.published_at)).push_back('}');
    return out;
}

const char* listener_name(listener_kind k) { return k == listener_kind::internal_listener ? "internal" : "public"; }

}  // namespace

void handle_channels_list(services& svc, const herald::http::request_target& target, api_callback reply) {
    auto limit = parse_limit(target);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    const auto prefix = target.param("prefix").value_or("");
    if (!prefix.empty())
        if (auto e = model::validate_channel(prefix)) {
            reply(error_reply(invalid_parameter("prefix: " + e->message,
                                                "a prefix is the start of channel names (prefix=news. lists news.*); "
                                                "it takes no wildcards")));
            return;
        }
    const auto cursor = target.param("cursor").value_or("");
    const std::size_t n = *limit;
    // n + 1 from each source: the first n of their union all come from these, and one more says
    // whether there is a next page.
    auto local = svc.node.hub().channels(prefix, cursor, n + 1);
    svc.node.broker().list_channels(prefix, cursor, n + 1, [&svc, n, local = std::move(local), reply](
                                                               model::result<std::vector<broker::channel_info>> r) {
        if (!r) {
            reply(error_reply(r.err()));
            return;
        }
        struct page {
            std::mutex mutex;
            node::channel_page merged;
            std::size_t pending = 0;
            api_callback reply;
            void finish() {
                json items = json::array();
                for (std::size_t i = 0; i < merged.infos.size(); ++i)
                    items.push_back(list_item(merged.infos[i], merged.subscribers[i]));
                json next = merged.more && !merged.infos.empty() ? json(merged.infos.back().channel) : json(nullptr);
                reply(ok(json{{"channels", std::move(items)}, {"next_cursor", std::move(next)}}));
            }
        };
        auto pg = std::make_shared<page>();
        pg->reply = reply;
        pg->merged = node::merge_channel_page(std::move(*r), local, n);
        const auto& unknown = pg->merged.unknown;  // subscribed channels the broker holds nothing for
        if (unknown.empty()) {
            pg->finish();
            return;
        }
        pg->pending = unknown.size();
        auto names = std::vector<std::string>();
        for (auto k : unknown) names.push_back(pg->merged.infos[k].channel);
        for (std::size_t k = 0; k < unknown.size(); ++k)
            starting_position(svc, names[k], [pg, slot = unknown[k]](model::result<broker::channel_info> p) {
                bool last;
                {
                    std::lock_guard lock(pg->mutex);
                    if (p) pg->merged.infos[slot] = std::move(*p);
                    last = --pg->pending == 0;
                }
                if (last) pg->finish();
            });
    });
}

void handle_channel_inspect(services& svc, std::string channel, api_callback reply) {
    if (auto e = model::validate_channel(channel)) {
        reply(error_reply(*e));
        return;
    }
    svc.node.broker().info(channel, [&svc, channel, reply](model::result<std::optional<broker::channel_info>> info) {
        if (!info) {
            reply(error_reply(info.err()));
            return;
        }
        count_subscribers(svc, channel, [&svc, channel, held = std::move(*info), reply](transport_counts c) {
            if (!held && c.sse + c.ws == 0) {
                reply(error_reply(channel_not_found(channel)));
                return;
            }
            auto answer = [c, reply](const broker::channel_info& i) {
                reply(ok(json{{"channel", i.channel},
                              {"subscribers", {{"sse", c.sse}, {"ws", c.ws}, {"total", c.sse + c.ws}}},
                              {"epoch", i.epoch},
                              {"last_offset", i.last_offset},
                              {"first_available", i.first_available},
                              {"history_size", i.history_size},
                              {"publishes", i.publishes},
                              {"last_published_at", nullable_time(i.last_published_at)}}));
            };
            if (held) {
                answer(*held);
                return;
            }
            starting_position(svc, channel, [answer, reply](model::result<broker::channel_info> p) {
                if (!p)
                    reply(error_reply(p.err()));
                else
                    answer(*p);
            });
        });
    });
}

void handle_channel_history(services& svc, std::string channel, const herald::http::request_target& target,
                            api_callback reply) {
    if (auto e = model::validate_channel(channel)) {
        reply(error_reply(*e));
        return;
    }
    auto limit = parse_limit(target);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    std::optional<std::uint64_t> since;  // events after this offset; none: the newest `limit`
    if (auto s = target.param("since")) {
        since = *s == "earliest" ? std::optional<std::uint64_t>(0) : parse_number(*s);
        if (!since) {
            reply(error_reply(invalid_parameter("since '" + *s + "' is not an offset",
                                                "give since=OFFSET (events after it) or since=earliest (all of "
                                                "history); leave it out for the newest events")));
            return;
        }
    }
    const std::size_t n = *limit;
    svc.node.broker().info(channel, [&svc, channel, since, n, reply](model::result<std::optional<broker::channel_info>> info) {
        if (!info) {
            reply(error_reply(info.err()));
            return;
        }
        if (!*info && svc.node.hub().subscribers(channel) == 0) {
            reply(error_reply(channel_not_found(channel)));
            return;
        }
        std::uint64_t after = 0;
        if (since)
            after = *since;
        else if (*info && (*info)->last_offset > n)
            after = (*info)->last_offset - n;
        svc.node.read(channel, after, n, [reply](model::result<broker::channel_history> h) {
            if (!h) {
                reply(error_reply(h.err()));
                return;
            }
            std::string events = "[";
            for (const auto& ev : h->events) {
                if (events.size() > 1) events.push_back(',');
                events.append(event_json(*ev));
            }
            events.push_back(']');
            reply({200, "{\"channel\":" + protocol::json_quote(h->channel) + ",\"epoch\":" + protocol::json_quote(h->epoch) +
                            ",\"events\":" + events + ",\"first_available\":" + std::to_string(h->first_available) +
                            ",\"last_offset\":" + std::to_string(h->last_offset) + "}"});
        });
    });
}

void handle_connections(services& svc, const herald::http::request_target& target, api_callback reply) {
    auto limit = parse_limit(target);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    struct state {
        std::optional<std::string> user;
        std::size_t limit = 0;
        api_callback reply;
        std::mutex mutex;
        std::vector<connection_description> found;
    };
    auto st = std::make_shared<state>();
    st->user = target.param("user");
    st->limit = *limit;
    st->reply = std::move(reply);
    if (st->user && st->user->empty()) {
        st->reply(error_reply(invalid_parameter("user is empty", "give user=ID (a token's sub), or leave it out")));
        return;
    }
    on_every_shard(
        svc,
        [&svc, st](std::size_t i) {
            std::vector<connection_description> local;
            svc.shards.at(i).for_each_connection([&](const connection& c) {
                auto d = c.describe();
                if (d && (!st->user || d->user == st->user)) local.push_back(std::move(*d));
            });
            std::lock_guard lock(st->mutex);
            for (auto& d : local) st->found.push_back(std::move(d));
        },
        [st] {
            auto& all = st->found;
            std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
            json list = json::array();
            for (std::size_t i = 0; i < all.size() && i < st->limit; ++i) {
                const auto& d = all[i];
                list.push_back(json{{"id", d.id},
                                    {"user", d.user ? json(*d.user) : json(nullptr)},
                                    {"transport", d.transport},
                                    {"listener", listener_name(d.origin.listener)},
                                    {"channels", d.channels},
                                    {"remote", d.origin.remote()},
                                    {"connected_at", d.origin.connected_at_ms},
                                    {"outbox_bytes", d.outbox_bytes}});
            }
            st->reply(ok(json{{"connections", std::move(list)}, {"total", all.size()}}));
        });
}

void handle_stats(services& svc, api_callback reply) {
    const auto& m = svc.metrics;
    auto v = [](const auto& counter) { return counter.load(std::memory_order_relaxed); };
    std::uint64_t deliveries = 0, bytes_out = 0;
    for (std::size_t i = 0; i < m.shard_count; ++i) {
        deliveries += m.per_shard[i].deliveries.load(std::memory_order_relaxed);
        bytes_out += m.per_shard[i].bytes_out.load(std::memory_order_relaxed);
    }
    const auto bs = svc.node.broker().stats();
    const auto& hub = svc.node.hub();
    reply(ok(json{{"version", HERALD_VERSION},
                  {"broker", svc.node.broker().kind()},
                  {"started_at", svc.started_at_ms},
                  {"uptime_ms", shard::now_ms() - svc.started_steady_ms},
                  {"connections", {{"sse", v(m.sse_streams_open)}, {"ws", v(m.ws_open)}, {"total", v(m.connections_open)}}},
                  {"channels", hub.channel_count()},
                  {"broker_channels", bs.channels},
                  {"subscriptions", hub.subscription_count()},
                  {"history_events", bs.history_events},
                  {"publishes", v(m.publishes)},
                  {"publish_errors", v(m.publish_errors)},
                  {"deliveries", deliveries},
                  {"bytes_out", bytes_out},
                  {"slow_consumer_disconnects", v(m.slow_consumer_disconnects)}}));
}

}  // namespace herald::sidecar
