// The presence store on Redis: the I/O thread, the script calls (EVALSHA, EVAL on NOSCRIPT), their
// arguments and the decoding of their replies, and whether this node's counts may have been lost.
// Threading: the public methods post to the store's one io_context thread, where everything else
// runs; healthy() and last_error() read an atomic and a locked string.
#include "lib/broker/redis_presence_store.hpp"

#include "lib/broker/redis_script.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <random>
#include <thread>

#include "lib/broker/redis_connection.hpp"
#include "lib/broker/redis_presence_scripts.hpp"
#include "lib/broker/redis_reply.hpp"

namespace herald::broker {

namespace asio = boost::asio;
using presence::change_kind;
using presence::presence_change;
using presence::subject;

namespace {

redis_script make_script(const char* body) { return make_redis_script(redis_presence_scripts::prelude, body); }

const char* kind_letter(subject k) { return k == subject::user ? "u" : "c"; }
const char* kind_word(subject k) { return k == subject::user ? "users" : "channels"; }

constexpr std::uint64_t max_count = std::uint64_t{1} << 53;  // Lua numbers are doubles
constexpr int sweep_budget = 1000;
constexpr int max_sweep_runs = 100000;

// The transitions of a script's reply from element `from` on: (code, name, position) triples;
// nullopt when the reply is not that.
std::optional<std::vector<presence_change>> decode_changes(const redisReply* r, std::size_t from) {
    if (!reply_is_array(r, from) || (r->elements - from) % 3 != 0) return std::nullopt;
    std::vector<presence_change> out;
    out.reserve((r->elements - from) / 3);
    for (std::size_t i = from; i < r->elements; i += 3) {
        const auto* code = r->element[i];
        const auto* name = r->element[i + 1];
        const auto* pos = r->element[i + 2];
        if (code->type != REDIS_REPLY_INTEGER || name->type != REDIS_REPLY_STRING || pos->type != REDIS_REPLY_INTEGER ||
            code->integer < 1 || code->integer > 4 || pos->integer < 1)
            return std::nullopt;
        static constexpr change_kind kinds[] = {change_kind::user_online, change_kind::user_offline,
                                                change_kind::channel_occupied, change_kind::channel_vacated};
        out.push_back({kinds[code->integer - 1], reply_text(name), static_cast<std::uint64_t>(pos->integer)});
    }
    return out;
}

}  // namespace

struct redis_presence_store::impl {
    impl(redis_url u, redis_presence_options o)
        : url(std::move(u)),
          opts(std::move(o)),
          q(opts.key_prefix + "presence:"),
          id(presence::random_node_id()),
          ttl_ms(opts.heartbeat_ttl_ms),
          work(asio::make_work_guard(io)),
          cmd(io, url,
              {opts.connect_timeout, opts.reconnect_min, opts.reconnect_max, opts.command_timeout, opts.ping_interval}),
          apply_s(make_script(redis_presence_scripts::apply)),
          heartbeat_s(make_script(redis_presence_scripts::heartbeat)),
          retire_s(make_script(redis_presence_scripts::retire)),
          sweep_s(make_script(redis_presence_scripts::sweep)),
          page_s(make_script(redis_presence_scripts::page)) {}

    redis_url url;
    redis_presence_options opts;
    const std::string q;  // key_prefix + "presence:"
    const std::string id;
    asio::io_context io;
    std::int64_t ttl_ms;  // the heartbeat apply() refreshes; 0 after retire()
    asio::executor_work_guard<asio::io_context::executor_type> work;
    redis_connection cmd;
    const redis_script apply_s, heartbeat_s, retire_s, sweep_s, page_s;
    asio::steady_timer drain_timer{io};
    std::thread thread;
    std::size_t in_flight = 0;  // commands whose handler has not run yet
    // registered: Redis has known this node (a script registered it). lost: since then, something
    // may have removed or missed its counts; heartbeat() reports it once.
    bool registered = false;
    bool lost = false;

    std::atomic<bool> up{false};
    mutable std::mutex error_mutex;
    std::string error;

    void set_error(const std::string& why) {
        std::lock_guard lock(error_mutex);
        error = why;
    }
    std::string error_text() const {
        std::lock_guard lock(error_mutex);
        return error;
    }

    void start() {
        cmd.start(
            [this] {
                up = true;
                for (const auto* s : {&apply_s, &heartbeat_s, &retire_s, &sweep_s, &page_s})
                    cmd.command({"SCRIPT", "LOAD", s->text}, [](redisReply*) {});
            },
            [this](const std::string& why) {
                up = cmd.ready();
                set_error(why);
                if (registered) lost = true;  // a write in flight may be lost; Redis may come back empty
            });
    }

    // Gives the commands in flight (a retire() just before destruction) a moment to be answered,
    // then closes.
    void stop(std::chrono::steady_clock::time_point deadline) {
        if (in_flight > 0 && cmd.ready() && std::chrono::steady_clock::now() < deadline) {
            drain_timer.expires_after(std::chrono::milliseconds(5));
            drain_timer.async_wait([this, deadline](boost::system::error_code) { stop(deadline); });
            return;
        }
        cmd.close();
        up = false;
        work.reset();
        io.stop();
    }

    std::string key(const std::string& what) const { return q + what; }
    std::string sum_key(subject k) const { return q + "sum:" + kind_letter(k); }
    std::string names_key(subject k) const { return q + "names:" + kind_letter(k); }

    model::error unavailable(const std::string& what) const {
        if (cmd.timed_out())
            return model::errors::broker_timeout("cannot " + what + ": Redis at " + url.display() +
                                                 " did not answer within " +
                                                 std::to_string(opts.command_timeout.count()) + " ms");
        auto why = error_text();
        return model::errors::unavailable("cannot " + what + ": Redis at " + url.display() +
                                              (why.empty() ? " is not connected yet" : " is unavailable (" + why + ")"),
                                          "herald reconnects by itself; retry shortly");
    }
    model::error refused(const std::string& what, const redisReply* r) const {
        auto text = r && r->type == REDIS_REPLY_ERROR ? reply_text(r) : std::string("an unexpected reply");
        return model::errors::unavailable("cannot " + what + ": Redis at " + url.display() + " answered: " + text,
                                          "check the Redis server (memory limit, replica read-only mode, ACLs)");
    }

    // Runs `s` (EVALSHA; EVAL when Redis does not know it); `handler` gets the reply or nullptr.
    void eval(const redis_script& s, std::vector<std::string> keys, std::vector<std::string> args,
              std::function<void(redisReply*)> handler) {
        std::vector<std::string> line{"EVALSHA", s.sha, std::to_string(keys.size())};
        line.insert(line.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
        line.insert(line.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
        auto shared = counted(std::move(handler));
        auto sent = cmd.command(line, [this, &s, line, shared](redisReply* r) mutable {
            if (!r) dropped();
            if (r && r->type == REDIS_REPLY_ERROR && reply_text(r).starts_with("NOSCRIPT")) {
                line[0] = "EVAL";
                line[1] = s.text;
                if (!cmd.command(line, [this, shared](redisReply* r2) {
                        if (!r2) dropped();
                        (*shared)(r2);
                    }))
                    (*shared)(nullptr);
                return;
            }
            (*shared)(r);
        });
        if (!sent) (*shared)(nullptr);
    }

    // `handler`, counted in in_flight until it runs.
    std::shared_ptr<std::function<void(redisReply*)>> counted(std::function<void(redisReply*)> handler) {
        ++in_flight;
        return std::make_shared<std::function<void(redisReply*)>>([this, h = std::move(handler)](redisReply* r) {
            --in_flight;
            h(r);
        });
    }

    // A reply will never come: the connection is down (on_down may come later), and what was in
    // flight may or may not have been applied.
    void dropped() {
        up = false;
        if (registered) lost = true;
    }

    // A registering script's first reply element: 1 when Redis did not know this node.
    void registered_now(bool fresh) {
        if (fresh && registered) lost = true;
        registered = true;
    }

    void apply(std::vector<presence::node_count> counts, changes_callback done) {
        for (const auto& c : counts) {
            if (c.name.empty() || c.name.size() > max_name_bytes)
                return done(model::errors::invalid_parameter(
                    "a presence name of " + std::to_string(c.name.size()) + " bytes",
                    "names are 1 to " + std::to_string(max_name_bytes) + " bytes"));
            if (c.count > max_count)
                return done(model::errors::invalid_parameter("a presence count of " + std::to_string(c.count),
                                                             "counts are at most 2^53"));
        }
        if (counts.empty()) return done(std::vector<presence_change>{});
        if (!cmd.ready()) return done(unavailable("update presence"));
        struct gather {
            std::size_t waiting = 0;
            std::vector<std::vector<presence_change>> parts;
            std::optional<model::error> failed;
            changes_callback done;
        };
        const auto batches = (counts.size() + max_batch - 1) / max_batch;
        auto g = std::make_shared<gather>();
        g->waiting = batches;
        g->parts.resize(batches);
        g->done = std::move(done);
        for (std::size_t b = 0; b < batches; ++b) {
            std::vector<std::string> args{id, std::to_string(ttl_ms)};
            const auto end = std::min(counts.size(), (b + 1) * max_batch);
            for (std::size_t i = b * max_batch; i < end; ++i) {
                args.push_back(kind_letter(counts[i].kind));
                args.push_back(std::move(counts[i].name));
                args.push_back(std::to_string(counts[i].count));
            }
            eval(apply_s,
                 {key("node:" + id), key("alive:" + id), key("nodes"), key("seq"), sum_key(subject::user),
                  names_key(subject::user), sum_key(subject::channel), names_key(subject::channel)},
                 std::move(args), [this, g, b](redisReply* r) {
                     if (!g->failed) {
                         if (!r) {
                             g->failed = unavailable("update presence");
                         } else if (auto changes = decode_changes(r, 1);
                                    changes && r->element[0]->type == REDIS_REPLY_INTEGER) {
                             registered_now(r->element[0]->integer == 1);
                             g->parts[b] = std::move(*changes);
                         } else {
                             g->failed = refused("update presence", r);
                         }
                     }
                     if (--g->waiting > 0) return;
                     if (g->failed) return g->done(*g->failed);
                     std::vector<presence_change> all;
                     for (auto& p : g->parts) all.insert(all.end(), std::make_move_iterator(p.begin()),
                                                         std::make_move_iterator(p.end()));
                     g->done(std::move(all));
                 });
        }
    }

    void heartbeat(std::int64_t ttl, done_callback done) {
        if (ttl <= 0)
            return done(model::errors::invalid_parameter("a heartbeat of " + std::to_string(ttl) + " ms",
                                                         "a heartbeat lasts at least 1 ms"));
        if (!cmd.ready()) return done(unavailable("send the presence heartbeat"));
        ttl_ms = ttl;
        eval(heartbeat_s, {key("alive:" + id), key("nodes")}, {id, std::to_string(ttl)},
             [this, done = std::move(done)](redisReply* r) {
                 if (!r) return done(unavailable("send the presence heartbeat"));
                 if (r->type != REDIS_REPLY_INTEGER) return done(refused("send the presence heartbeat", r));
                 registered_now(r->integer == 1);
                 const bool kept = !lost;
                 lost = false;
                 done(kept);
             });
    }

    void retire(std::int64_t linger, done_callback done) {
        if (!cmd.ready()) return done(unavailable("retire this node's presence"));
        ttl_ms = 0;
        eval(retire_s, {key("alive:" + id), key("nodes")}, {id, std::to_string(linger)},
             [this, done = std::move(done)](redisReply* r) {
                 if (!r) return done(unavailable("retire this node's presence"));
                 if (r->type != REDIS_REPLY_INTEGER) return done(refused("retire this node's presence", r));
                 done(true);
             });
    }

    // One sweep script, then another while it says gone counts are left; the transitions of all.
    // When a later script fails, the transitions of those before it are the answer (the counts left
    // stay for the next sweep), so none is lost with the error.
    void sweep(std::shared_ptr<std::vector<presence_change>> so_far, int runs, changes_callback done) {
        if (!cmd.ready()) return done(unavailable("sweep presence"));
        eval(sweep_s,
             {key("nodes"), key("seq"), sum_key(subject::user), names_key(subject::user), sum_key(subject::channel),
              names_key(subject::channel), key("gone"), key("gone_seq")},
             {q, std::to_string(sweep_budget)}, [this, so_far, runs, done = std::move(done)](redisReply* r) mutable {
                 auto changes = r ? decode_changes(r, 1) : std::nullopt;
                 if (!changes || r->element[0]->type != REDIS_REPLY_INTEGER) {
                     if (!so_far->empty()) return done(std::move(*so_far));
                     return done(r ? refused("sweep presence", r) : unavailable("sweep presence"));
                 }
                 so_far->insert(so_far->end(), std::make_move_iterator(changes->begin()),
                                std::make_move_iterator(changes->end()));
                 if (r->element[0]->integer == 1 && runs + 1 < max_sweep_runs)
                     return sweep(so_far, runs + 1, std::move(done));
                 done(std::move(*so_far));
             });
    }

    void page(subject kind, const std::string& after, std::size_t limit, page_callback done) {
        if (limit > max_batch)
            return done(model::errors::invalid_parameter("limit " + std::to_string(limit) + " is over " +
                                                             std::to_string(max_batch),
                                                         "page with a limit of 1 to 1000"));
        if (after.size() > max_name_bytes)
            return done(model::errors::invalid_parameter(
                "an `after` of " + std::to_string(after.size()) + " bytes",
                "names are at most " + std::to_string(max_name_bytes) + " bytes"));
        const std::string what = std::string("list present ") + kind_word(kind);
        if (!cmd.ready()) return done(unavailable(what));
        eval(page_s, {names_key(kind), sum_key(kind), key("seq")},
             {after.empty() ? std::string("-") : "(" + after, std::to_string(limit + 1)},
             [this, limit, what, done = std::move(done)](redisReply* r) {
                 if (!r) return done(unavailable(what));
                 if (!reply_is_array(r, 1) || r->elements % 2 != 1 || r->element[0]->type != REDIS_REPLY_INTEGER)
                     return done(refused(what, r));
                 presence::presence_page p;
                 p.position = static_cast<std::uint64_t>(r->element[0]->integer);
                 for (std::size_t i = 1; i < r->elements; i += 2) {
                     if (p.entries.size() == limit) {
                         p.more = true;
                         break;
                     }
                     const auto n = reply_integer(r->element[i + 1]);
                     p.entries.push_back({reply_text(r->element[i]), n > 0 ? static_cast<std::uint64_t>(n) : 0});
                 }
                 done(std::move(p));
             });
    }

    void totals(subject kind, std::vector<std::string> names, totals_callback done) {
        if (names.size() > max_batch)
            return done(model::errors::invalid_parameter(std::to_string(names.size()) + " names",
                                                         "ask for at most 1000 names at once"));
        if (names.empty()) return done(std::vector<std::uint64_t>{});
        const std::string what = std::string("count present ") + kind_word(kind);
        if (!cmd.ready()) return done(unavailable(what));
        std::vector<std::string> line{"HMGET", sum_key(kind)};
        line.insert(line.end(), std::make_move_iterator(names.begin()), std::make_move_iterator(names.end()));
        const auto n = names.size();
        auto handler = counted([this, n, what, done](redisReply* r) {
                if (!r) dropped();
                if (!r) return done(unavailable(what));
                if (!reply_is_array(r, n)) return done(refused(what, r));
                std::vector<std::uint64_t> out;
                out.reserve(n);
                for (std::size_t i = 0; i < n; ++i) {
                    const auto v = reply_integer(r->element[i]);  // nil: 0
                    out.push_back(v > 0 ? static_cast<std::uint64_t>(v) : 0);
                }
                done(std::move(out));
            });
        if (!cmd.command(line, [handler](redisReply* r) { (*handler)(r); })) (*handler)(nullptr);
    }
};

model::result<std::unique_ptr<redis_presence_store>> redis_presence_store::create(std::string_view url,
                                                                                  redis_presence_options opts) {
    auto parsed = parse_redis_url(url);
    if (!parsed) return parsed.err();
    return std::make_unique<redis_presence_store>(std::move(parsed.value()), std::move(opts));
}

redis_presence_store::redis_presence_store(redis_url url, redis_presence_options opts)
    : impl_(std::make_unique<impl>(std::move(url), std::move(opts))) {
    impl_->thread = std::thread([im = impl_.get()] { im->io.run(); });
    asio::post(impl_->io, [im = impl_.get()] { im->start(); });
}

redis_presence_store::~redis_presence_store() {
    asio::post(impl_->io, [im = impl_.get()] {
        im->stop(std::chrono::steady_clock::now() +
                 std::min<std::chrono::milliseconds>(im->opts.command_timeout, std::chrono::milliseconds(1000)));
    });
    impl_->thread.join();
}

std::optional<model::error> redis_presence_store::wait_connected(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!healthy()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            auto why = impl_->error_text();
            return model::errors::unavailable(
                "cannot connect to Redis at " + impl_->url.display() + " for presence: " +
                    (why.empty() ? "no answer within " + std::to_string(timeout.count()) + " ms" : why),
                "start redis-server there or fix the broker URL (--broker / HERALD_BROKER); herald keeps retrying");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
}

bool redis_presence_store::healthy() const { return impl_->up; }
std::string redis_presence_store::last_error() const { return impl_->error_text(); }
const std::string& redis_presence_store::node_id() const { return impl_->id; }

void redis_presence_store::apply(std::vector<presence::node_count> counts, changes_callback done) {
    asio::post(impl_->io, [im = impl_.get(), counts = std::move(counts), done = std::move(done)]() mutable {
        im->apply(std::move(counts), std::move(done));
    });
}

void redis_presence_store::heartbeat(std::int64_t ttl_ms, done_callback done) {
    asio::post(impl_->io, [im = impl_.get(), ttl_ms, done = std::move(done)]() mutable {
        im->heartbeat(ttl_ms, std::move(done));
    });
}

void redis_presence_store::sweep(changes_callback done) {
    asio::post(impl_->io, [im = impl_.get(), done = std::move(done)]() mutable {
        im->sweep(std::make_shared<std::vector<presence_change>>(), 0, std::move(done));
    });
}

void redis_presence_store::page(presence::subject kind, const std::string& after, std::size_t limit,
                                page_callback done) {
    asio::post(impl_->io, [im = impl_.get(), kind, after, limit, done = std::move(done)]() mutable {
        im->page(kind, after, limit, std::move(done));
    });
}

void redis_presence_store::totals(presence::subject kind, std::vector<std::string> names, totals_callback done) {
    asio::post(impl_->io, [im = impl_.get(), kind, names = std::move(names), done = std::move(done)]() mutable {
        im->totals(kind, std::move(names), std::move(done));
    });
}

void redis_presence_store::retire(std::int64_t linger_ms, done_callback done) {
    asio::post(impl_->io, [im = impl_.get(), linger_ms, done = std::move(done)]() mutable {
        im->retire(linger_ms, std::move(done));
    });
}

}  // namespace herald::broker
