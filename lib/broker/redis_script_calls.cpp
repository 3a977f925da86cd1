// The Redis broker's script calls: arguments in, EVALSHA (EVAL on NOSCRIPT), replies decoded.
// Threading: the broker's io_context thread only.
#include "lib/broker/redis_script_calls.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "lib/broker/redis_reply.hpp"
#include "lib/broker/redis_scripts.hpp"

namespace herald::broker {

namespace {

std::string json_string(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

channel_info describe(const std::string& name, redisReply** el) {
    channel_info i;
    i.channel = name;
    i.epoch = reply_text(el[0]);
    i.last_offset = static_cast<std::uint64_t>(reply_integer(el[1]));
    i.first_available = static_cast<std::uint64_t>(reply_integer(el[2]));
    i.history_size = static_cast<std::size_t>(reply_integer(el[3]));
    i.publishes = static_cast<std::uint64_t>(reply_integer(el[4]));
    i.last_published_at = reply_integer(el[5]);
    i.keys = static_cast<std::size_t>(reply_integer(el[6]));
    return i;
}

const char* op_name(model::key_op op) {
    switch (op) {
        case model::key_op::incr: return "incr";
        case model::key_op::remove: return "remove";
        case model::key_op::set: break;
    }
    return "set";
}

// The events of a read or read_latest reply from element `from` on; an error naming the entry that
// is not one.
model::result<std::vector<model::event_ptr>> decode_events(const redisReply* r, std::size_t from,
                                                           const std::string& channel) {
    std::vector<model::event_ptr> out;
    out.reserve(r->elements - from);
    for (std::size_t i = from; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        auto ev = decode_event(e->str ? e->str : "", e->str ? e->len : 0);
        if (!ev)
            return model::errors::internal("history entry " + std::to_string(i - from + 1) + " of '" + channel +
                                           "' in Redis is not an event");
        out.push_back(std::move(ev));
    }
    return out;
}

}  // namespace

redis_script redis_script_calls::make_script(const char* body) { return make_redis_script(redis_scripts::prelude, body); }

redis_script_calls::redis_script_calls(redis_connection& cmd, const redis_url& url, const redis_broker_options& opts,
                                       const util::clock& clock, redis_script_hooks hooks)
    : cmd_(cmd),
      url_(url),
      opts_(opts),
      clock_(clock),
      hooks_(std::move(hooks)),
      gen_(std::random_device{}()),
      publish_(make_script(redis_scripts::publish)),
      read_(make_script(redis_scripts::read)),
      read_latest_(make_script(redis_scripts::read_latest)),
      info_(make_script(redis_scripts::info)),
      list_(make_script(redis_scripts::list)),
      sweep_(make_script(redis_scripts::sweep)),
      touch_(make_script(redis_scripts::touch)) {}

std::int64_t redis_script_calls::keep_ms() const {
    return opts_.history_ttl_ms > 0 ? std::max(opts_.history_ttl_ms, opts_.idempotency_window_ms) : 0;
}

std::int64_t redis_script_calls::touch_within_ms() const {
    const auto keep = keep_ms();
    if (keep <= 0 || !opts_.limits_for) return keep;
    return std::min(keep, std::max<std::int64_t>(opts_.idempotency_window_ms, 1));
}

void redis_script_calls::load() {
    for (const auto* s : {&publish_, &read_, &read_latest_, &info_, &list_, &sweep_, &touch_})
        cmd_.command({"SCRIPT", "LOAD", s->text}, [](redisReply*) {});
}

std::string redis_script_calls::key(const char* kind, const std::string& channel) const {
    return opts_.key_prefix + kind + channel;
}

std::string redis_script_calls::fresh_epoch() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<int> pick(0, 35);
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(alphabet[pick(gen_)]);
    return out;
}

model::error redis_script_calls::unavailable(const std::string& what) const {
    if (cmd_.timed_out())
        return model::errors::broker_timeout("cannot " + what + ": Redis at " + url_.display() +
                                             " did not answer within " +
                                             std::to_string(opts_.command_timeout.count()) + " ms");
    auto why = hooks_.last_error();
    return model::errors::unavailable(
        "cannot " + what + ": Redis at " + url_.display() + " is unavailable" + (why.empty() ? "" : " (" + why + ")"),
        "herald reconnects by itself; retry shortly (a publish with an idempotency key is safe to retry)");
}

model::error redis_script_calls::refused(const std::string& what, const redisReply* r) const {
    return model::errors::unavailable("cannot " + what + ": Redis at " + url_.display() + " answered: " + reply_text(r),
                                      "check the Redis server (memory limit, replica read-only mode, ACLs)");
}

void redis_script_calls::eval(const script& s, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args, std::function<void(redisReply*)> handler) {
    std::vector<std::string> cmdline{"EVALSHA", s.sha, std::to_string(keys.size())};
    cmdline.insert(cmdline.end(), keys.begin(), keys.end());
    cmdline.insert(cmdline.end(), args.begin(), args.end());
    auto shared = std::make_shared<std::function<void(redisReply*)>>(std::move(handler));
    auto sent = cmd_.command(cmdline, [this, &s, cmdline, shared](redisReply* r) mutable {
        if (!r) hooks_.lost();  // down already (on_down comes later): healthy() says so before the answer
        if (r && r->type == REDIS_REPLY_ERROR && reply_text(r).starts_with("NOSCRIPT")) {
            cmdline[0] = "EVAL";
            cmdline[1] = s.text;
            if (!cmd_.command(cmdline, [this, shared](redisReply* r2) {
                    if (!r2) hooks_.lost();
                    (*shared)(r2);
                }))
                (*shared)(nullptr);
            return;
        }
        (*shared)(r);
    });
    if (!sent) (*shared)(nullptr);
}

channel_limits redis_script_calls::limits_of(const std::string& channel) const {
    return opts_.limits_for ? opts_.limits_for(channel)
                            : channel_limits{opts_.history_size, opts_.history_ttl_ms, opts_.history_max_bytes};
}

void redis_script_calls::publish(model::publish_request&& req, broker::publish_callback done) {
    if (!cmd_.ready()) return done(unavailable("publish to '" + req.channel + "'"));
    const auto now = clock_.now_ms();
    const auto& P = opts_.key_prefix;
    std::vector<std::string> keys{key("m:", req.channel), key("h:", req.channel), P + "channels", P + "epoch",
                                  P + "seen",           key("k:", req.channel), key("ko:", req.channel)};
    if (!req.idempotency_key.empty())
        keys.push_back(P + "i:" + std::to_string(req.channel.size()) + ":" + req.channel + ":" + req.idempotency_key);
    const bool keyed = !req.key.empty();
    const char* kind = req.kind == model::data_kind::text ? "text" : "json";
    // A keyed publish passes the start only: the script writes the rest (its data may be a sum).
    std::string body = "\"channel\":" + json_string(req.channel) + ",\"name\":" + json_string(req.name);
    if (!keyed) body += std::string(",\"kind\":\"") + kind + "\",\"data\":" + json_string(req.data) + "}";
    const auto cost = req.data.size() + 64;  // history::history_ring::cost, the same rule
    const auto limits = limits_of(req.channel);
    const std::int64_t keep =
        limits.ttl_ms > 0 ? std::max(limits.ttl_ms, opts_.idempotency_window_ms) : 0;
    std::vector<std::string> args{req.channel,
                                  fresh_epoch(),
                                  std::to_string(now),
                                  std::to_string(limits.size),
                                  std::to_string(limits.ttl_ms),
                                  std::to_string(opts_.idempotency_window_ms),
                                  std::move(body),
                                  key("ev:", req.channel),
                                  std::to_string(limits.max_bytes),
                                  std::to_string(cost),
                                  std::to_string(keep),
                                  std::to_string(opts_.max_channels),
                                  P,
                                  keep < keep_ms() ? "1" : "0",
                                  req.key};
    if (keyed) {
        args.push_back(json_string(req.key));
        args.push_back(op_name(req.op));
        args.push_back(std::to_string(req.incr));
        args.push_back(std::to_string(limits.max_keys));
        args.push_back(kind);
        args.push_back(req.op == model::key_op::set ? json_string(req.data) : std::string());
    }
    eval(publish_, keys, args,
         [this, channel = req.channel, key = std::move(req.key), max_keys = limits.max_keys,
          done = std::move(done)](redisReply* r) {
             const auto what = "publish to '" + channel + "'";
             if (!r) return done(unavailable(what));
             if (reply_is_array(r, 2) && reply_integer(r->element[0]) == -1)
                 return done(model::errors::unavailable(
                     "channel limit of " + std::to_string(opts_.max_channels) + " reached: cannot create channel '" +
                         channel + "' (Redis at " + url_.display() + " holds " +
                         std::to_string(reply_integer(r->element[1])) + ")",
                     "raise history.max_channels (--max-broker-channels) on every node or publish to fewer distinct "
                     "channels; a channel with no publish for max(history.ttl, history.idempotency_window) is "
                     "forgotten"));
             if (reply_is_array(r, 2) && reply_integer(r->element[0]) == -2) {
                 const auto refusal = reply_text(r->element[1]);
                 if (refusal == "too_many_keys") return done(model::errors::too_many_keys(channel, max_keys));
                 if (refusal == "key_not_found") return done(model::errors::key_not_found(channel, key));
                 if (refusal == "not_a_counter")
                     return done(model::errors::not_a_counter(
                         channel, key,
                         r->elements > 2 && reply_text(r->element[2]) == "range"
                             ? "would pass the counter range of ±9007199254740991"
                             : "holds a value that is not an integer"));
                 return done(refused(what, r));
             }
             if (!reply_is_array(r, 3) || r->element[2]->type != REDIS_REPLY_STRING) return done(refused(what, r));
             model::publish_result res;
             res.channel = channel;
             res.duplicate = reply_integer(r->element[0]) != 0;
             res.offset = static_cast<std::uint64_t>(reply_integer(r->element[1]));
             res.epoch = reply_text(r->element[2]);
             if (r->elements > 3) res.value = reply_integer(r->element[3]);
             done(std::move(res));
         });
}

void redis_script_calls::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                              broker::read_callback done) {
    if (!cmd_.ready()) return done(unavailable("read '" + channel + "'"));
    const std::size_t capped = std::min<std::size_t>(limit, 1'000'000'000);
    eval(read_, {key("m:", channel), key("h:", channel), opts_.key_prefix + "epoch"},
         {fresh_epoch(), std::to_string(clock_.now_ms()), std::to_string(opts_.history_ttl_ms),
          after ? std::to_string(*after) : "-1", std::to_string(capped), std::to_string(keep_ms())},
         [this, channel, done = std::move(done)](redisReply* r) {
             const auto what = "read '" + channel + "'";
             if (!r) return done(unavailable(what));
             if (!reply_is_array(r, 3)) return done(refused(what, r));
             channel_history h;
             h.channel = channel;
             h.epoch = reply_text(r->element[0]);
             h.last_offset = static_cast<std::uint64_t>(reply_integer(r->element[1]));
             h.first_available = static_cast<std::uint64_t>(reply_integer(r->element[2]));
             auto evs = decode_events(r, 3, channel);
             if (!evs) return done(evs.err());
             h.events = std::move(evs.value());
             done(std::move(h));
         });
}

void redis_script_calls::read_latest(const std::string& channel, broker::read_callback done) {
    if (!cmd_.ready()) return done(unavailable("read the latest of '" + channel + "'"));
    const bool keyed = limits_of(channel).keyed;
    eval(read_latest_, {key("m:", channel), key("h:", channel), opts_.key_prefix + "epoch", key("k:", channel)},
         {fresh_epoch(), std::to_string(clock_.now_ms()), std::to_string(opts_.history_ttl_ms), keyed ? "1" : "0",
          std::to_string(keep_ms())},
         [this, channel, keyed, done = std::move(done)](redisReply* r) {
             const auto what = "read the latest of '" + channel + "'";
             if (!r) return done(unavailable(what));
             if (!reply_is_array(r, 3)) return done(refused(what, r));
             channel_history h;
             h.channel = channel;
             h.keyed = keyed;
             h.epoch = reply_text(r->element[0]);
             h.last_offset = static_cast<std::uint64_t>(reply_integer(r->element[1]));
             h.first_available = static_cast<std::uint64_t>(reply_integer(r->element[2]));
             auto evs = decode_events(r, 3, channel);
             if (!evs) return done(evs.err());
             h.events = std::move(evs.value());
             std::sort(h.events.begin(), h.events.end(),
                       [](const auto& a, const auto& b) { return a->offset < b->offset; });
             done(std::move(h));
         });
}

void redis_script_calls::info(const std::string& channel, broker::info_callback done) {
    if (!cmd_.ready()) return done(unavailable("inspect '" + channel + "'"));
    eval(info_, {key("m:", channel), key("h:", channel)},
         {std::to_string(clock_.now_ms()), std::to_string(opts_.history_ttl_ms)},
         [this, channel, done = std::move(done)](redisReply* r) {
             const auto what = "inspect '" + channel + "'";
             if (!r) return done(unavailable(what));
             if (r->type != REDIS_REPLY_ARRAY) return done(refused(what, r));
             if (r->elements < 7) return done(std::optional<channel_info>());
             done(std::optional<channel_info>(describe(channel, r->element)));
         });
}

void redis_script_calls::list(const std::string& prefix, const std::string& after, std::size_t limit,
                              broker::list_callback done) {
    if (!cmd_.ready()) return done(unavailable("list channels"));
    if (limit == 0) return done(std::vector<channel_info>{});
    const std::string min = after >= prefix ? "(" + after : "[" + prefix;
    eval(list_, {opts_.key_prefix + "channels"},
         {prefix, min, std::to_string(std::min<std::size_t>(limit, 100'000)), std::to_string(clock_.now_ms()),
          std::to_string(opts_.history_ttl_ms), opts_.key_prefix},
         [this, done = std::move(done)](redisReply* r) {
             if (!r) return done(unavailable("list channels"));
             if (r->type != REDIS_REPLY_ARRAY) return done(refused("list channels", r));
             std::vector<channel_info> out;
             for (std::size_t i = 0; i + 8 <= r->elements; i += 8)
                 out.push_back(describe(reply_text(r->element[i]), r->element + i + 1));
             done(std::move(out));
         });
}

void redis_script_calls::sweep(std::int64_t now_ms, std::function<void(std::size_t)> counted) {
    if (!cmd_.ready()) return;
    const auto keep = keep_ms();
    eval(sweep_, {opts_.key_prefix + "seen", opts_.key_prefix + "channels"},
         {std::to_string(keep > 0 ? now_ms - keep : -1), std::to_string(now_ms), opts_.key_prefix, "1000"},
         [counted = std::move(counted)](redisReply* r) {
             if (r && r->type == REDIS_REPLY_INTEGER) counted(static_cast<std::size_t>(r->integer));
         });
}

void redis_script_calls::touch(std::int64_t now_ms, const std::vector<std::string>& channels) {
    constexpr std::size_t batch = 500;
    for (std::size_t i = 0; i < channels.size(); i += batch) {
        std::vector<std::string> args{std::to_string(keep_ms()), std::to_string(now_ms), opts_.key_prefix};
        args.insert(args.end(), channels.begin() + static_cast<std::ptrdiff_t>(i),
                    channels.begin() + static_cast<std::ptrdiff_t>(std::min(channels.size(), i + batch)));
        eval(touch_, {}, args, [](redisReply*) {});
    }
}

}  // namespace herald::broker
