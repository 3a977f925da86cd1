// Redis broker: the I/O thread and its lifecycle, the up/down state behind healthy(), the
// subscription that feeds on_event through the gap fill (gap_fill.hpp decides, this file reads
// history and hands events on), and the timer that counts channels, keeps watched channels alive
// and forgets idle positions. The script calls themselves are redis_script_calls.
// Threading: the public methods post to the broker's one io_context thread, where everything else
// runs; healthy(), last_error(), followed_channels() and stats() read atomics or a locked string.
#include "lib/broker/redis_broker.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <limits>
#include <mutex>
#include <thread>

#include "lib/broker/gap_fill.hpp"
#include "lib/broker/redis_connection.hpp"
#include "lib/broker/redis_reply.hpp"
#include "lib/broker/redis_script_calls.hpp"

namespace herald::broker {

namespace asio = boost::asio;

namespace {

// The gap fill's bounds: events held per channel while its fill is in flight, and channels
// followed. Redis holds at most max_channels channels at once and a position is forgotten
// when its channel's keys expire, so twice that is reached only by channels churning faster than
// the stats timer forgets them; past it a channel's events go on unsequenced.
gap_fill_limits fill_limits(const redis_broker_options& o) {
    gap_fill_limits l;
    constexpr auto most = std::numeric_limits<std::size_t>::max();
    l.max_channels = o.max_channels > most / 2 ? most : 2 * o.max_channels;
    return l;
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
          calls(cmd, url, opts, clock, {[this] { cmd_up = false; }, [this] { return error_text(); }}),
          gaps(fill_limits(opts)),
          stats_timer(io) {}

    redis_connection_options conn_opts() const {
        return {opts.connect_timeout, opts.reconnect_min, opts.reconnect_max, opts.command_timeout, opts.ping_interval};
    }

    const util::clock& clock;
    redis_url url;
    redis_broker_options opts;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    redis_connection cmd;
    redis_connection sub;
    redis_script_calls calls;
    gap_fill gaps;
    asio::steady_timer stats_timer;
    std::thread thread;
    std::int64_t last_touch_ms = 0;

    std::atomic<broker_handler*> handler{nullptr};
    std::atomic<bool> cmd_up{false}, sub_up{false};
    std::atomic<std::size_t> channels{0};
    std::atomic<std::size_t> followed{0};
    mutable std::mutex error_mutex;
    std::string last_error;

    void set_error(const std::string& why) {
        std::lock_guard lock(error_mutex);
        last_error = why;
    }
    std::string error_text() const {
        std::lock_guard lock(error_mutex);
        return last_error;
    }

    void start() {
        cmd.start(
            [this] {
                cmd_up = true;
                calls.load();
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
        const auto keep = calls.touch_within_ms();
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
        const auto keep = calls.keep_ms();
        calls.sweep(now, [this](std::size_t n) { channels = n; });
        if (keep > 0) {
            touch_live(now, keep);
            gaps.forget_idle(now, keep);
            followed = gaps.followed();
        }
    }

    // Keeps the keys of channels with subscribers on this node alive (and this node's position of
    // them), every keep/4.
    void touch_live(std::int64_t now, std::int64_t keep) {
        if (!opts.live_channels || !cmd.ready() || now - last_touch_ms < std::min(keep, calls.touch_within_ms()) / 4)
            return;
        last_touch_ms = now;
        const auto live = opts.live_channels();
        calls.touch(now, live);
        for (const auto& ch : live) gaps.touch(ch, now);
    }

    void on_message(redisReply* r) {
        if (!reply_is_array(r, 3) || r->element[0]->type != REDIS_REPLY_STRING) return;
        const auto kind = reply_text(r->element[0]);
        if (kind == "psubscribe") {
            sub_up = true;
        } else if (kind == "pmessage" && r->elements == 4 && r->element[3]->type == REDIS_REPLY_STRING) {
            auto ev = decode_event(r->element[3]->str, r->element[3]->len);
            if (ev) on_event(ev);
        }
    }

    void hand_on(const model::event_ptr& ev) {
        if (auto* h = handler.load()) h->on_event(ev);
    }

    // Events published while the subscription was down reach the handler, in order, before the
    // first one after it: the gap fill says what to hand on and which history to read.
    void on_event(const model::event_ptr& ev) {
        auto a = gaps.on_event(ev, clock.now_ms());
        followed.store(gaps.followed(), std::memory_order_relaxed);
        if (a.hand_on()) return hand_on(ev);
        if (!a.read) return;
        const auto channel = a.read->channel;
        calls.read(channel, a.read->after, a.read->limit, [this, channel](model::result<channel_history> h) {
            for (const auto& e : gaps.on_fill(channel, h, clock.now_ms())) hand_on(e);
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
std::int64_t redis_broker::keep_ms() const { return impl_->calls.keep_ms(); }
std::size_t redis_broker::followed_channels() const { return impl_->followed; }

void redis_broker::set_handler(broker_handler* handler) { impl_->handler = handler; }

void redis_broker::publish(model::publish_request&& req, publish_callback done) {
    asio::post(impl_->io, [im = impl_.get(), req = std::move(req), done = std::move(done)]() mutable {
        im->calls.publish(std::move(req), std::move(done));
    });
}

void redis_broker::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                        read_callback done) {
    asio::post(impl_->io, [im = impl_.get(), channel, after, limit, done = std::move(done)]() mutable {
        im->calls.read(channel, after, limit, std::move(done));
    });
}

void redis_broker::read_latest(const std::string& channel, read_callback done) {
    asio::post(impl_->io, [im = impl_.get(), channel, done = std::move(done)]() mutable {
        im->calls.read_latest(channel, std::move(done));
    });
}

void redis_broker::info(const std::string& channel, info_callback done) {
    asio::post(impl_->io, [im = impl_.get(), channel, done = std::move(done)]() mutable {
        im->calls.info(channel, std::move(done));
    });
}

void redis_broker::list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                                 list_callback done) {
    asio::post(impl_->io, [im = impl_.get(), prefix, after, limit, done = std::move(done)]() mutable {
        im->calls.list(prefix, after, limit, std::move(done));
    });
}

broker_stats redis_broker::stats() const {
    broker_stats s;
    s.channels = impl_->channels;
    return s;
}

}  // namespace herald::broker
