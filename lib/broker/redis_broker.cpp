// Redis broker: the I/O thread, script calls (EVALSHA, EVAL on NOSCRIPT), reply decoding, the
// subscription that feeds on_event, and the up/down state behind healthy().
#include "lib/broker/redis_broker.hpp"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unordered_map>

#include "lib/broker/redis_connection.hpp"
#include "lib/broker/redis_scripts.hpp"

namespace herald::broker {

namespace asio = boost::asio;

namespace {

struct script {
    std::string text;
    std::string sha;
};

script make_script(const char* body) {
    script s;
    s.text = std::string(redis_scripts::prelude) + body;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.text.data()), s.text.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : digest) {
        s.sha.push_back(hex[c >> 4]);
        s.sha.push_back(hex[c & 15]);
    }
    return s;
}

std::string json_string(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string text(const redisReply* r) { return r && r->str ? std::string(r->str, r->len) : std::string(); }

bool is_array(const redisReply* r, std::size_t min) { return r && r->type == REDIS_REPLY_ARRAY && r->elements >= min; }

std::int64_t integer(const redisReply* r) {
    if (!r) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return std::strtoll(text(r).c_str(), nullptr, 10);
    return 0;
}

// The event as the publish script wrote it; nullptr if it is not one.
model::event_ptr decode_event(const char* data, std::size_t len) {
    auto j = nlohmann::json::parse(data, data + len, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return nullptr;
    auto ev = std::make_shared<model::event>();
    try {
        ev->published_at = j.at("published_at").get<std::int64_t>();
        ev->offset = j.at("offset").get<std::uint64_t>();
        ev->epoch = j.at("epoch").get<std::string>();
        ev->channel = j.at("channel").get<std::string>();
        ev->name = j.at("name").get<std::string>();
        ev->kind = j.at("kind").get<std::string>() == "text" ? model::data_kind::text : model::data_kind::json;
        ev->data = j.at("data").get<std::string>();
    } catch (const nlohmann::json::exception&) {
        return nullptr;
    }
    return ev;
}

}  // namespace

struct redis_broker::impl {
    impl(redis_url u, const util::clock& c, redis_broker_options o)
        : clock(c),
          url(std::move(u)),
          opts(std::move(o)),
          work(asio::make_work_guard(io)),
          cmd(io, url, conn_opts()),
          sub(io, url, conn_opts()),
          stats_timer(io),
          gen(std::random_device{}()) {}

    redis_connection_options conn_opts() const {
        return {opts.connect_timeout, opts.reconnect_min, opts.reconnect_max, opts.command_timeout, opts.ping_interval};
    }
    std::int64_t keep_ms() const {
        return opts.history_ttl_ms > 0 ? std::max(opts.history_ttl_ms, opts.idempotency_window_ms) : 0;
    }

    const util::clock& clock;
    redis_url url;
    redis_broker_options opts;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    redis_connection cmd;
    redis_connection sub;
    asio::steady_timer stats_timer;
    std::mt19937_64 gen;
    std::thread thread;
    const script s_publish = make_script(redis_scripts::publish);
    const script s_read = make_script(redis_scripts::read);
    const script s_info = make_script(redis_scripts::info);
    const script s_list = make_script(redis_scripts::list);
    const script s_sweep = make_script(redis_scripts::sweep);
    const script s_touch = make_script(redis_scripts::touch);
    std::int64_t last_touch_ms = 0;

    std::atomic<broker_handler*> handler{nullptr};
    std::atomic<bool> cmd_up{false}, sub_up{false};
    std::atomic<std::size_t> channels{0};
    std::atomic<std::size_t> followed{0};
    mutable std::mutex error_mutex;
    std::string last_error;

    std::string key(const char* kind, const std::string& ch) const { return opts.key_prefix + kind + ch; }
    std::string idem_key(const std::string& ch, const std::string& k) const {
        return opts.key_prefix + "i:" + std::to_string(ch.size()) + ":" + ch + ":" + k;
    }

    std::string fresh_epoch() {
        static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        std::uniform_int_distribution<int> pick(0, 35);
        std::string out;
        for (int i = 0; i < 8; ++i) out.push_back(alphabet[pick(gen)]);
        return out;
    }

    void set_error(const std::string& why) {
        std::lock_guard lock(error_mutex);
        last_error = why;
    }
    std::string error_text() const {
        std::lock_guard lock(error_mutex);
        return last_error;
    }

    // Why a command could not be answered: Redis did not answer in time (broker_timeout), or the
    // connection is down or dropped (unavailable). On the broker's thread only.
    model::error unavailable(const std::string& what) const {
        if (cmd.timed_out())
            return model::errors::broker_timeout("cannot " + what + ": Redis at " + url.display() +
                                                 " did not answer within " +
                                                 std::to_string(opts.command_timeout.count()) + " ms");
        auto why = error_text();
        return model::errors::unavailable(
            "cannot " + what + ": Redis at " + url.display() + " is unavailable" + (why.empty() ? "" : " (" + why + ")"),
            "herald reconnects by itself; retry shortly (a publish with an idempotency key is safe to retry)");
    }
    model::error refused(const std::string& what, const redisReply* r) const {
        return model::errors::unavailable("cannot " + what + ": Redis at " + url.display() + " answered: " + text(r),
                                          "check the Redis server (memory limit, replica read-only mode, ACLs)");
    }

    void start() {
        cmd.start(
            [this] {
                cmd_up = true;
                // Load the scripts ahead of the first EVALSHA (a NOSCRIPT falls back to EVAL anyway).
                for (const auto* s : {&s_publish, &s_read, &s_info, &s_list, &s_sweep, &s_touch})
                    cmd.command({"SCRIPT", "LOAD", s->text}, [](redisReply*) {});
                refresh_stats();
            },
            [this](const std::string& why) {
                cmd_up = cmd.ready();
                set_error(why);
            });
        sub.start(
            [this] {
                sub.subscribe({"PSUBSCRIBE", opts.key_prefix + "ev:*"}, [this](redisReply* r) { on_message(r); });
            },
            [this](const std::string& why) {
                sub_up = false;
                set_error(why);
            });
        schedule_stats();
    }

    void stop() {
        stats_timer.cancel();
        cmd.close();
        sub.close();
        cmd_up = sub_up = false;
        work.reset();
        io.stop();
    }

    void schedule_stats() {
        // Often enough that channels with subscribers are touched well within keep.
        const auto keep = keep_ms();
        auto every = opts.stats_interval;
        if (keep > 0) every = std::min(every, std::chrono::milliseconds(std::max<std::int64_t>(keep / 4, 50)));
        stats_timer.expires_after(every);
        stats_timer.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            refresh_stats();
            schedule_stats();
        });
    }
    // Every stats interval: prune expired channels from Redis's index (and count them), and forget
    // this node's positions of channels idle past keep_ms.
    void refresh_stats() {
        const auto now = clock.now_ms();
        const auto keep = keep_ms();
        if (cmd.ready())
            eval(s_sweep, {opts.key_prefix + "seen", opts.key_prefix + "channels"},
                 {std::to_string(keep > 0 ? now - keep : -1), std::to_string(now), opts.key_prefix, "1000"},
                 [this](redisReply* r) {
                     if (r && r->type == REDIS_REPLY_INTEGER) channels = static_cast<std::size_t>(r->integer);
                 });
        if (keep > 0) {
            touch_live(now, keep);
            std::erase_if(tracked, [&](const auto& kv) { return !kv.second.filling && now - kv.second.seen_at >= keep; });
            followed = tracked.size();
        }
    }

    // Keeps the keys of channels with subscribers on this node alive (and this node's position of
    // them), in batches, every keep/4.
    void touch_live(std::int64_t now, std::int64_t keep) {
        if (!opts.live_channels || !cmd.ready() || now - last_touch_ms < keep / 4) return;
        last_touch_ms = now;
        const auto live = opts.live_channels();
        constexpr std::size_t batch = 500;
        for (std::size_t i = 0; i < live.size(); i += batch) {
            std::vector<std::string> args{std::to_string(keep), std::to_string(now), opts.key_prefix};
            args.insert(args.end(), live.begin() + static_cast<std::ptrdiff_t>(i),
                        live.begin() + static_cast<std::ptrdiff_t>(std::min(live.size(), i + batch)));
            eval(s_touch, {}, args, [](redisReply*) {});
        }
        for (const auto& ch : live)
            if (auto it = tracked.find(ch); it != tracked.end()) it->second.seen_at = now;
    }

    void on_message(redisReply* r) {
        if (!is_array(r, 3) || r->element[0]->type != REDIS_REPLY_STRING) return;
        const auto kind = text(r->element[0]);
        if (kind == "psubscribe") {
            sub_up = true;
        } else if (kind == "pmessage" && r->elements == 4 && r->element[3]->type == REDIS_REPLY_STRING) {
            auto ev = decode_event(r->element[3]->str, r->element[3]->len);
            if (ev) on_event(std::move(ev));
        }
    }

    // What this node handed on per channel, to fill gaps from history: events published while the
    // subscription was down reach the handler, in order, before the first event after it.
    struct delivered {
        std::string epoch;
        std::uint64_t last = 0;
        std::int64_t seen_at = 0;  // clock ms of the last event handed on
        bool filling = false;
        std::vector<model::event_ptr> held;  // arrived while filling
    };
    std::unordered_map<std::string, delivered> tracked;

    void deliver(delivered& t, const model::event_ptr& ev) {
        if (ev->epoch == t.epoch && ev->offset <= t.last) return;  // already handed on (filled)
        if (t.epoch != ev->epoch) t.epoch = ev->epoch;
        t.last = ev->offset;
        t.seen_at = clock.now_ms();
        if (auto* h = handler.load()) h->on_event(ev);
    }

    void on_event(model::event_ptr ev) {
        auto& t = tracked[ev->channel];
        if (t.last == 0 && !t.filling) followed = tracked.size();
        if (t.filling) {
            t.held.push_back(std::move(ev));
            return;
        }
        // A gap in the epoch this node follows, or a new epoch (Redis restarted empty) whose first
        // events it missed: fill from history. A channel first seen here starts where it is.
        const bool same = ev->epoch == t.epoch;
        if (t.last == 0 || (same && ev->offset <= t.last + 1) || (!same && ev->offset == 1)) return deliver(t, ev);
        t.filling = true;
        const auto from = same ? t.last : 0;
        const auto missing = ev->offset - from - 1;
        const auto channel = ev->channel;
        t.held.push_back(std::move(ev));
        read(channel, from, missing, [this, channel](model::result<channel_history> h) {
            auto& t = tracked[channel];
            if (h.ok() && h->epoch == t.held.front()->epoch)
                for (const auto& e : h->events)
                    if (e->offset < t.held.front()->offset) deliver(t, e);
            // What history no longer covers (or a failed read) stays a gap; no second fill.
            t.filling = false;
            auto held = std::move(t.held);
            t.held.clear();
            for (const auto& e : held) deliver(t, e);
        });
    }

    // EVALSHA, then EVAL when Redis does not know the script (restarted, SCRIPT FLUSH).
    // The handler gets nullptr when the connection is down or drops before the reply.
    void eval(const script& s, const std::vector<std::string>& keys, const std::vector<std::string>& args,
              std::function<void(redisReply*)> handler) {
        std::vector<std::string> cmdline{"EVALSHA", s.sha, std::to_string(keys.size())};
        cmdline.insert(cmdline.end(), keys.begin(), keys.end());
        cmdline.insert(cmdline.end(), args.begin(), args.end());
        auto shared = std::make_shared<std::function<void(redisReply*)>>(std::move(handler));
        auto sent = cmd.command(cmdline, [this, &s, cmdline, shared](redisReply* r) mutable {
            if (!r) cmd_up = false;  // down already (on_down comes later): healthy() says so before done()
            if (r && r->type == REDIS_REPLY_ERROR && text(r).starts_with("NOSCRIPT")) {
                cmdline[0] = "EVAL";
                cmdline[1] = s.text;
                if (!cmd.command(cmdline, [this, shared](redisReply* r2) {
                        if (!r2) cmd_up = false;
                        (*shared)(r2);
                    }))
                    (*shared)(nullptr);
                return;
            }
            (*shared)(r);
        });
        if (!sent) (*shared)(nullptr);
    }

    void publish(model::publish_request req, publish_callback done) {
        if (!cmd.ready()) return done(unavailable("publish to '" + req.channel + "'"));
        const auto now = clock.now_ms();
        std::vector<std::string> keys{key("m:", req.channel), key("h:", req.channel), opts.key_prefix + "channels",
                                      opts.key_prefix + "epoch", opts.key_prefix + "seen"};
        if (!req.idempotency_key.empty()) keys.push_back(idem_key(req.channel, req.idempotency_key));
        std::string body = "\"channel\":" + json_string(req.channel) + ",\"name\":" + json_string(req.name) +
                           ",\"kind\":\"" + (req.kind == model::data_kind::text ? "text" : "json") +
                           "\",\"data\":" + json_string(req.data) + "}";
        const auto cost = req.data.size() + 64;  // history::history_ring::cost, the same rule
        std::vector<std::string> args{req.channel,
                                      fresh_epoch(),
                                      std::to_string(now),
                                      std::to_string(opts.history_size),
                                      std::to_string(opts.history_ttl_ms),
                                      std::to_string(opts.idempotency_window_ms),
                                      std::move(body),
                                      key("ev:", req.channel),
                                      std::to_string(opts.history_max_bytes),
                                      std::to_string(cost),
                                      std::to_string(keep_ms()),
                                      std::to_string(opts.max_channels),
                                      opts.key_prefix};
        eval(s_publish, keys, args, [this, channel = req.channel, done = std::move(done)](redisReply* r) {
            const auto what = "publish to '" + channel + "'";
            if (!r) return done(unavailable(what));
            if (is_array(r, 2) && integer(r->element[0]) == -1)
                return done(model::errors::unavailable(
                    "channel limit of " + std::to_string(opts.max_channels) + " reached: cannot create channel '" +
                        channel + "' (Redis at " + url.display() + " holds " + std::to_string(integer(r->element[1])) +
                        ")",
                    "raise history.max_channels (--max-broker-channels) on every node or publish to fewer distinct "
                    "channels; a channel with no publish for max(history.ttl, history.idempotency_window) is "
                    "forgotten"));
            if (!is_array(r, 3) || r->element[2]->type != REDIS_REPLY_STRING) return done(refused(what, r));
            model::publish_result res;
            res.channel = channel;
            res.duplicate = integer(r->element[0]) != 0;
            res.offset = static_cast<std::uint64_t>(integer(r->element[1]));
            res.epoch = text(r->element[2]);
            done(std::move(res));
        });
    }

    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              read_callback done) {
        if (!cmd.ready()) return done(unavailable("read '" + channel + "'"));
        const std::size_t capped = std::min<std::size_t>(limit, 1'000'000'000);
        eval(s_read, {key("m:", channel), key("h:", channel), opts.key_prefix + "epoch"},
             {fresh_epoch(), std::to_string(clock.now_ms()), std::to_string(opts.history_ttl_ms),
              after ? std::to_string(*after) : "-1", std::to_string(capped), std::to_string(keep_ms())},
             [this, channel, done = std::move(done)](redisReply* r) {
                 const auto what = "read '" + channel + "'";
                 if (!r) return done(unavailable(what));
                 if (!is_array(r, 3)) return done(refused(what, r));
                 channel_history h;
                 h.channel = channel;
                 h.epoch = text(r->element[0]);
                 h.last_offset = static_cast<std::uint64_t>(integer(r->element[1]));
                 h.first_available = static_cast<std::uint64_t>(integer(r->element[2]));
                 for (std::size_t i = 3; i < r->elements; ++i) {
                     auto ev = decode_event(r->element[i]->str, r->element[i]->len);
                     if (!ev) return done(model::errors::internal("history entry " + std::to_string(i - 2) + " of '" +
                                                                  channel + "' in Redis is not an event"));
                     h.events.push_back(std::move(ev));
                 }
                 done(std::move(h));
             });
    }

    static channel_info describe(const std::string& name, redisReply** el) {
        channel_info i;
        i.channel = name;
        i.epoch = text(el[0]);
        i.last_offset = static_cast<std::uint64_t>(integer(el[1]));
        i.first_available = static_cast<std::uint64_t>(integer(el[2]));
        i.history_size = static_cast<std::size_t>(integer(el[3]));
        i.publishes = static_cast<std::uint64_t>(integer(el[4]));
        i.last_published_at = integer(el[5]);
        return i;
    }

    void info(const std::string& channel, info_callback done) {
        if (!cmd.ready()) return done(unavailable("inspect '" + channel + "'"));
        eval(s_info, {key("m:", channel), key("h:", channel)},
             {std::to_string(clock.now_ms()), std::to_string(opts.history_ttl_ms)},
             [this, channel, done = std::move(done)](redisReply* r) {
                 const auto what = "inspect '" + channel + "'";
                 if (!r) return done(unavailable(what));
                 if (!r || r->type != REDIS_REPLY_ARRAY) return done(refused(what, r));
                 if (r->elements < 6) return done(std::optional<channel_info>());
                 done(std::optional<channel_info>(describe(channel, r->element)));
             });
    }

    void list(const std::string& prefix, const std::string& after, std::size_t limit, list_callback done) {
        if (!cmd.ready()) return done(unavailable("list channels"));
        if (limit == 0) return done(std::vector<channel_info>{});
        const std::string min = after >= prefix ? "(" + after : "[" + prefix;
        eval(s_list, {opts.key_prefix + "channels"},
             {prefix, min, std::to_string(std::min<std::size_t>(limit, 100'000)), std::to_string(clock.now_ms()),
              std::to_string(opts.history_ttl_ms), opts.key_prefix},
             [this, done = std::move(done)](redisReply* r) {
                 if (!r) return done(unavailable("list channels"));
                 if (r->type != REDIS_REPLY_ARRAY) return done(refused("list channels", r));
                 std::vector<channel_info> out;
                 for (std::size_t i = 0; i + 7 <= r->elements; i += 7)
                     out.push_back(describe(text(r->element[i]), r->element + i + 1));
                 done(std::move(out));
             });
    }
};

model::result<std::unique_ptr<redis_broker>> redis_broker::create(std::string_view url, const util::clock& clock,
                                                                  redis_broker_options opts) {
    auto parsed = parse_redis_url(url);
    if (!parsed) return parsed.err();
    return std::make_unique<redis_broker>(std::move(parsed.value()), clock, std::move(opts));
}

model::result<std::unique_ptr<redis_broker>> redis_broker::open(std::string_view url, const util::clock& clock,
                                                                redis_broker_options opts) {
    const auto wait = opts.start_wait;
    auto b = create(url, clock, std::move(opts));
    if (!b) return b;
    if (auto e = b.value()->wait_connected(wait)) return *e;
    return b;
}

redis_broker::redis_broker(redis_url url, const util::clock& clock, redis_broker_options opts)
    : impl_(std::make_unique<impl>(std::move(url), clock, std::move(opts))) {
    impl_->thread = std::thread([im = impl_.get()] { im->io.run(); });
    asio::post(impl_->io, [im = impl_.get()] { im->start(); });
}

redis_broker::~redis_broker() {
    asio::post(impl_->io, [im = impl_.get()] { im->stop(); });
    impl_->thread.join();
}

std::optional<model::error> redis_broker::wait_connected(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!healthy()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            auto why = impl_->error_text();
            return model::errors::unavailable(
                "cannot connect to Redis at " + impl_->url.display() + ": " +
                    (why.empty() ? "no answer within " + std::to_string(timeout.count()) + " ms" : why),
                "start redis-server there or fix the broker URL (--broker / HERALD_BROKER); herald keeps retrying");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
}

bool redis_broker::healthy() const { return impl_->cmd_up && impl_->sub_up; }
std::string redis_broker::last_error() const { return impl_->error_text(); }
const redis_url& redis_broker::url() const { return impl_->url; }
std::int64_t redis_broker::keep_ms() const { return impl_->keep_ms(); }
std::size_t redis_broker::followed_channels() const { return impl_->followed; }

void redis_broker::set_handler(broker_handler* handler) { impl_->handler = handler; }

void redis_broker::publish(model::publish_request req, publish_callback done) {
    asio::post(impl_->io, [im = impl_.get(), req = std::move(req), done = std::move(done)]() mutable {
        im->publish(std::move(req), std::move(done));
    });
}

void redis_broker::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                        read_callback done) {
    asio::post(impl_->io, [im = impl_.get(), channel, after, limit, done = std::move(done)]() mutable {
        im->read(channel, after, limit, std::move(done));
    });
}

void redis_broker::info(const std::string& channel, info_callback done) {
    asio::post(impl_->io, [im = impl_.get(), channel, done = std::move(done)]() mutable {
        im->info(channel, std::move(done));
    });
}

void redis_broker::list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                                 list_callback done) {
    asio::post(impl_->io, [im = impl_.get(), prefix, after, limit, done = std::move(done)]() mutable {
        im->list(prefix, after, limit, std::move(done));
    });
}

broker_stats redis_broker::stats() const {
    broker_stats s;
    s.channels = impl_->channels;
    return s;
}

}  // namespace herald::broker
