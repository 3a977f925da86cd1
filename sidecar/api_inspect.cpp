// Inspect API: checks the query (lib/http/query_params), looks up the broker, the hub and every
// shard, and answers with the bodies lib/protocol/inspect_json renders. Replies come from the
// thread that finished the look-up (a shard's or the broker's).
#include "sidecar/api_inspect.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <memory>
#include <mutex>

#include "lib/http/query_params.hpp"
#include "lib/model/channel.hpp"
#include "lib/node/channel_page.hpp"
#include "lib/protocol/inspect_json.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/channels/subscriber.hpp"
#include "sidecar/shard.hpp"

namespace herald::sidecar {

namespace {

api_reply ok(std::string body) { return {200, std::move(body)}; }

using model::errors::channel_not_found;

model::result<std::size_t> parse_limit(const herald::http::request_target& t) {
    return herald::http::parse_limit(t, inspect_default_limit, inspect_max_limit);
}

protocol::channel_summary summary(const broker::channel_info& i) {
    return {i.channel, i.epoch, i.last_offset, i.first_available, i.history_size, i.publishes, i.last_published_at, i.keys};
}

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

// This node's subscribers of `channel` by transport, counted on each shard from the hub's lists.
void count_subscribers(services& svc, const std::string& channel, std::function<void(protocol::subscriber_counts)> done) {
    struct state {
        std::string channel;
        std::mutex mutex;
        protocol::subscriber_counts counts;
    };
    auto st = std::make_shared<state>();
    st->channel = channel;
    on_every_shard(
        svc,
        [&svc, st](std::size_t i) {
            protocol::subscriber_counts local;
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

}  // namespace

void handle_channels_list(services& svc, const herald::http::request_target& target, api_callback reply) {
    auto limit = parse_limit(target);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    auto prefix_param = herald::http::parse_prefix(target);
    if (!prefix_param) {
        reply(error_reply(prefix_param.err()));
        return;
    }
    const auto& prefix = *prefix_param;
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
                std::vector<protocol::channel_list_entry> entries;
                entries.reserve(merged.infos.size());
                for (std::size_t i = 0; i < merged.infos.size(); ++i)
                    entries.push_back({summary(merged.infos[i]), merged.subscribers[i]});
                reply(ok(protocol::channel_list_json(entries, merged.more)));
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
        count_subscribers(svc, channel, [&svc, channel, held = std::move(*info), reply](protocol::subscriber_counts c) {
            if (!held && c.sse + c.ws == 0) {
                reply(error_reply(channel_not_found(channel)));
                return;
            }
            auto answer = [&svc, c, reply](const broker::channel_info& i) {
                const auto p = svc.policies().resolve(i.channel);
                protocol::channel_policy_summary ps;
                if (p.pattern) ps.pattern = *p.pattern;
                ps.history_size = p.history_size;
                ps.history_ttl_ms = p.history_ttl_ms;
                ps.history_max_bytes = p.history_max_bytes;
                ps.public_channel = p.public_channel;
                ps.keyed = p.keyed;
                ps.max_keys = p.max_keys;
                ps.conflate_ms = p.conflate_ms;
                ps.slow_consumer = config::slow_consumer_name(p.slow_consumer);
                reply(ok(protocol::channel_json(summary(i), c, ps)));
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
    auto since_param = herald::http::parse_since_offset(target);
    if (!since_param) {
        reply(error_reply(since_param.err()));
        return;
    }
    const std::optional<std::uint64_t> since = *since_param;  // events after it; none: the newest `limit`
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
            reply(ok(protocol::channel_history_json(h->channel, h->epoch, h->events, h->first_available, h->last_offset)));
        });
    });
}

void handle_channel_latest(services& svc, std::string channel, api_callback reply) {
    if (auto e = model::validate_channel(channel)) {
        reply(error_reply(*e));
        return;
    }
    svc.node.broker().read_latest(channel, [&svc, reply](model::result<broker::channel_history> h) {
        if (!h) {
            reply(error_reply(h.err()));
            return;
        }
        if (h->last_offset == 0 && svc.node.hub().subscribers(h->channel) == 0) {
            reply(error_reply(channel_not_found(h->channel)));
            return;
        }
        reply(ok(protocol::channel_latest_json(h->channel, h->epoch, h->keyed, h->events, h->last_offset)));
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
    auto user = herald::http::parse_user(target);
    if (!user) {
        reply(error_reply(user.err()));
        return;
    }
    auto st = std::make_shared<state>();
    st->user = std::move(*user);
    st->limit = *limit;
    st->reply = std::move(reply);
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
            std::vector<protocol::connection_summary> shown;
            for (std::size_t i = 0; i < all.size() && i < st->limit; ++i) {
                auto& d = all[i];
                shown.push_back({d.id, std::move(d.user), d.transport,
                                 d.origin.listener == listener_kind::internal_listener, std::move(d.channels),
                                 d.origin.remote(), d.origin.connected_at_ms, d.outbox_bytes});
            }
            st->reply(ok(protocol::connections_json(shown, all.size())));
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
    const auto broker_kind = svc.node.broker().kind();
    protocol::node_stats s;
    s.version = HERALD_VERSION;
    s.broker = broker_kind;
    s.started_at_ms = svc.started_at_ms;
    s.uptime_ms = shard::now_ms() - svc.started_steady_ms;
    s.sse_open = v(m.sse_streams_open);
    s.ws_open = v(m.ws_open);
    s.connections_open = v(m.connections_open);
    s.channels = hub.channel_count();
    s.broker_channels = bs.channels;
    s.subscriptions = hub.subscription_count();
    s.history_events = bs.history_events;
    s.publishes = v(m.publishes);
    s.publish_errors = v(m.publish_errors);
    s.deliveries = deliveries;
    s.bytes_out = bytes_out;
    s.slow_consumer_disconnects = v(m.slow_consumer_disconnects);
    reply(ok(protocol::stats_json(s)));
}

}  // namespace herald::sidecar
