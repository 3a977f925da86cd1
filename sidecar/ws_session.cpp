// WebSocket session: command handling, per-channel resume, shared pre-built frames, close codes.
#include "sidecar/ws_session.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lib/protocol/cursor.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/protocol/ws_codec.hpp"
#include "sidecar/gather_write.hpp"

namespace herald::sidecar {

namespace {
constexpr int notsent_lowat = 16 * 1024;

channels::frame make_frame(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

const channels::frame& ping_frame() {
    static const channels::frame f = make_frame(protocol::ws_frame(protocol::ws_opcode::ping, ""));
    return f;
}
}  // namespace

// One subscribe request (a command, or the query's channels) waiting for its history reads.
struct ws_session::group {
    std::vector<std::string> channels;
    std::vector<std::uint64_t> generations;
    node::since_spec since;
    std::string id;
    std::vector<broker::channel_history> histories;
    std::size_t pending = 0;
    bool failed = false;
};

ws_session::ws_session(services& svc, shard& home, asio::ip::tcp::socket socket, std::uint64_t id, ws_params params)
    : svc_(svc),
      home_(home),
      socket_(std::move(socket)),
      id_(id),
      params_(std::move(params)),
      parser_(svc.cfg().ws.max_message_bytes),
      outbox_(svc.cfg().limits.outbox_bytes) {
    origin_ = params_.origin;
    svc_.metrics.ws_open.fetch_add(1, std::memory_order_relaxed);
    svc_.metrics.ws_total.fetch_add(1, std::memory_order_relaxed);
}

ws_session::~ws_session() { svc_.metrics.ws_open.fetch_sub(1, std::memory_order_relaxed); }

void ws_session::start() {
    home_.add(shared_from_this());
    boost::system::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &notsent_lowat, sizeof notsent_lowat);
    last_read_ms_ = last_ping_ms_ = home_.coarse_now();
    push(make_frame("HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " +
                    params_.accept_key + "\r\n\r\n"));
    flush();  // the 101 goes in flight at once: nothing queued after it (or dropped on overflow) can precede it
    if (params_.refusal) {
        auto r = std::move(*params_.refusal);
        params_ = {};
        close_with(r.code, r.reason);
        wait_readable();
        return;
    }
    auto channels = std::move(params_.channels);
    auto since = std::move(params_.since);
    auto early = std::move(params_.initial_bytes);
    who_ = std::move(params_.who);
    params_ = {};
    expiry_ = auth::expiry_watch(who_.exp_ms, svc_.cfg().auth.expiring_notice_ms);
    const auto personal = who_.personal_channel();
    const bool personal_in_query = !personal.empty() && std::find(channels.begin(), channels.end(), personal) != channels.end();
    if (!channels.empty()) subscribe(std::move(channels), std::move(since), "");
    if (!personal.empty() && !personal_in_query) subscribe_personal();
    if (!early.empty()) {
        consume(early);
        if (closed_) return;
    }
    wait_readable();
}

ws_session::subscription* ws_session::find(const std::string& channel) {
    for (auto& s : subs_)
        if (s.channel == channel) return &s;
    return nullptr;
}

void ws_session::subscribe_personal() {
    subscribe({who_.personal_channel()}, {}, "");
    if (auto* s = find(who_.personal_channel())) s->automatic = true;
}

void ws_session::subscribe(std::vector<std::string> channels, node::since_spec since, std::string id) {
    // An explicit subscribe (say, resuming with since) takes over the automatic user: subscription.
    for (const auto& c : channels)
        if (auto* s = find(c); s && s->automatic) drop(c);
    if (subs_.size() + channels.size() > svc_.cfg().limits.max_channels_per_connection) {
        send_text(protocol::ws_error_json(
            id, model::errors::too_many_channels(subs_.size() + channels.size(), svc_.cfg().limits.max_channels_per_connection)));
        return;
    }
    for (const auto& c : channels)
        if (find(c)) {
            send_text(protocol::ws_error_json(id, {"already_subscribed", 409, "already subscribed to '" + c + "'",
                                                   "unsubscribe first, or keep the subscription you have"}));
            return;
        }
    auto g = std::make_shared<group>();
    g->since = std::move(since);
    g->id = std::move(id);
    g->histories.resize(channels.size());
    g->pending = channels.size();
    for (const auto& c : channels) {
        subscription s;
        s.channel = c;
        s.generation = next_generation_++;
        g->generations.push_back(s.generation);
        subs_.push_back(std::move(s));
        svc_.node.hub().add(home_.index(), c, this);
    }
    g->channels = std::move(channels);
    if (groups_reading_++ == 0) reads_started_ms_ = home_.coarse_now();
    auto plan = node::read_plan(g->since, g->channels);
    auto self = shared_from_this();
    for (std::size_t i = 0; i < g->channels.size(); ++i) {
        svc_.node.read(g->channels[i], plan[i], std::numeric_limits<std::size_t>::max(),
                       [self, g, i](model::result<broker::channel_history> h) {
                           asio::dispatch(self->home_.io(), [self, g, i, h = std::move(h)]() mutable {
                               self->on_group_read(g, i, std::move(h));
                           });
                       });
    }
}

void ws_session::on_group_read(const std::shared_ptr<group>& g, std::size_t index,
                               model::result<broker::channel_history> h) {
    if (closed_ || closing_) return;
    if (!h) {
        g->failed = true;
        svc_.log.warn("ws conn={} cannot read channel '{}': {}", id_, g->channels[index], h.err().message);
    } else {
        g->histories[index] = std::move(h.value());
    }
    if (--g->pending == 0) {
        --groups_reading_;
        finish_group(g);
    }
}

void ws_session::finish_group(const std::shared_ptr<group>& g) {
    if (g->failed) {
        for (std::size_t i = 0; i < g->channels.size(); ++i) {
            auto* s = find(g->channels[i]);
            if (s && s->generation == g->generations[i]) drop(g->channels[i]);
        }
        send_text(protocol::ws_error_json(g->id, model::errors::unavailable("cannot read channel history from the broker",
                                                                             "retry the subscribe in a moment")));
        return;
    }
    auto plan = node::plan_resume(g->since, g->channels, std::move(g->histories));
    for (std::size_t i = 0; i < plan.size(); ++i) {
        auto* s = find(g->channels[i]);
        if (!s || s->generation != g->generations[i]) continue;  // unsubscribed meanwhile
        auto& p = plan[i];
        s->epoch = p.epoch;
        const bool recovered = p.reset_reason.empty() && g->since.mode != node::since_mode::live;
        // The position the subscription starts from: the first event that follows has offset + 1.
        const std::uint64_t start = p.replay.empty() ? p.resume_offset : p.replay.front()->offset - 1;
        send_text(protocol::ws_reply_json("subscribed", g->id,
                                          ",\"channel\":" + protocol::json_quote(s->channel) +
                                              ",\"epoch\":" + protocol::json_quote(p.epoch) +
                                              ",\"offset\":" + std::to_string(start) +
                                              ",\"recovered\":" + (recovered ? "true" : "false")));
        if (!p.reset_reason.empty()) {
            svc_.metrics.resets_sent.fetch_add(1, std::memory_order_relaxed);
            send_text(protocol::ws_reply_json("reset", "",
                                              ",\"channel\":" + protocol::json_quote(s->channel) +
                                                  ",\"reason\":" + protocol::json_quote(p.reset_reason) +
                                                  ",\"epoch\":" + protocol::json_quote(p.epoch) +
                                                  ",\"offset\":" + std::to_string(p.resume_offset)));
        }
        s->resume_offset = p.resume_offset;
        s->replay = std::move(p.replay);
        s->planned = true;
        replay_pending_ = true;
    }
    pump_replay();
}

void ws_session::pump_replay() {
    // Paced by the outbox: replay fills at most half of it (at least one event when nothing is
    // queued), the rest goes when a write completes. So a long replay is not a slow consumer, and
    // live events of other subscriptions and command replies still have room meanwhile.
    if (!replay_pending_) return;
    for (auto& s : subs_) {
        if (!s.replaying || !s.planned) continue;
        for (; s.replay_pos < s.replay.size(); ++s.replay_pos) {
            if (closing_ || closed_) return;
            const auto& ev = *s.replay[s.replay_pos];
            const std::size_t estimate = ev.data.size() + ev.name.size() + ev.channel.size() + ev.epoch.size() + 96;
            if ((!outbox_.empty() || outbox_.writing()) && outbox_.total_bytes() + estimate > outbox_.max_bytes() / 2) {
                request_flush();
                return;  // resumed from the write completion
            }
            outbox_.push_unchecked(make_frame(protocol::ws_frame(protocol::ws_opcode::text, protocol::ws_event_json(ev))));
            svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
        }
        s.offset = s.resume_offset;
        s.replaying = false;
        s.replay = {};
        auto held = std::move(s.held);
        s.held = {};
        s.held_bytes = 0;
        for (const auto& ev : held) {
            if (closing_ || closed_) return;
            deliver_live(s, *ev);
        }
    }
    replay_pending_ = std::any_of(subs_.begin(), subs_.end(), [](const subscription& s) { return s.replaying && s.planned; });
    request_flush();
}

bool ws_session::drop(const std::string& channel) {
    auto it = std::find_if(subs_.begin(), subs_.end(), [&](const subscription& s) { return s.channel == channel; });
    if (it == subs_.end()) return false;
    svc_.node.hub().remove(home_.index(), channel, this);
    subs_.erase(it);
    return true;
}

void ws_session::unsubscribe(const std::string& channel, const std::string& id) {
    if (!drop(channel)) {
        send_text(protocol::ws_error_json(id, {"not_subscribed", 404, "not subscribed to '" + channel + "'",
                                               "subscribe before unsubscribing"}));
        return;
    }
    send_text(protocol::ws_reply_json("unsubscribed", id, ",\"channel\":" + protocol::json_quote(channel)));
}

void ws_session::deliver(const channels::encoded_event_ptr& ev) noexcept {
    if (closed_ || closing_) return;
    auto* s = find(ev->event().channel);
    if (!s) return;
    if (s->replaying) {
        s->held_bytes += channels::held_cost(*ev);
        if (s->held.size() >= channels::max_held_events || s->held_bytes > outbox_.max_bytes()) {
            svc_.metrics.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
            close_with(model::disconnects::slow_consumer, "too many events during replay");
            return;
        }
        s->held.push_back(ev);
        return;
    }
    deliver_live(*s, *ev);
    request_flush();
}

void ws_session::deliver_live(subscription& s, const channels::encoded_event& enc) {
    const auto& ev = enc.event();
    if (ev.epoch != s.epoch) {
        s.epoch = ev.epoch;
        svc_.metrics.resets_sent.fetch_add(1, std::memory_order_relaxed);
        send_text(protocol::ws_reply_json("reset", "",
                                          ",\"channel\":" + protocol::json_quote(s.channel) +
                                              ",\"reason\":\"epoch_changed\",\"epoch\":" + protocol::json_quote(ev.epoch) +
                                              ",\"offset\":" + std::to_string(ev.offset - 1)));
    } else if (ev.offset <= s.offset) {
        return;  // already replayed
    }
    s.offset = ev.offset;
    if (push(enc.ws())) svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
}

void ws_session::send_text(std::string json) {
    push(make_frame(protocol::ws_frame(protocol::ws_opcode::text, json)));
    request_flush();
}

bool ws_session::push(channels::frame f) {
    if (closing_ || closed_) return false;
    if (outbox_.push(std::move(f))) return true;
    svc_.metrics.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    svc_.log.warn("ws conn={} slow consumer: outbox over {} bytes, closing with {}", id_, outbox_.max_bytes(),
                  model::disconnects::slow_consumer.code);
    outbox_.clear_queued();
    close_with(model::disconnects::slow_consumer);
    return false;
}

void ws_session::request_flush() {
    if (flush_requested_ || closed_) return;
    flush_requested_ = true;
    home_.request_flush(shared_from_this());
}

void ws_session::flush() {
    flush_requested_ = false;
    if (closed_ || outbox_.writing() || outbox_.empty()) return;  // nothing to start: no refcount traffic
    gather_write(socket_, outbox_, batch_, buffers_,
                 [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                     if (self->closed_) return;
                     if (ec) {
                         self->finish("write failed");
                         return;
                     }
                     self->svc_.metrics.shard(self->home_.index()).bytes_out.fetch_add(bytes, std::memory_order_relaxed);
                     if (!self->closing_) self->pump_replay();  // returns at once unless a replay is being paced
                     if (!self->outbox_.empty())
                         self->flush();
                     else if (self->closing_)
                         self->finish("closed");
                 });
}

void ws_session::close_with(const model::disconnect& d, std::string_view detail) {
    if (closing_ || closed_) return;
    closing_ = true;
    close_deadline_ms_ = home_.coarse_now() + 2000;
    std::string reason(detail.empty() ? d.reason : detail);
    if (reason.size() > 123) reason.resize(123);
    svc_.log.debug("ws conn={} closing with {} ({})", id_, d.code, reason);
    outbox_.push_unchecked(make_frame(protocol::ws_close_frame(d.code, reason)));
    request_flush();
}

void ws_session::tick(std::int64_t now_ms) {
    if (closed_) return;
    if (closing_) {
        if (now_ms >= close_deadline_ms_) finish("close not written in time");
        return;
    }
    switch (expiry_.poll(home_.coarse_wall())) {
        case auth::expiry_watch::step::notice: {
            const auto exp = *expiry_.exp();
            send_text(protocol::ws_reply_json(
                "auth_expiring", "",
                ",\"exp\":" + std::to_string(exp / 1000) +
                    ",\"expires_in_ms\":" + std::to_string(std::max<std::int64_t>(0, exp - home_.coarse_wall()))));
            break;
        }
        case auth::expiry_watch::step::expired:
            svc_.metrics.tokens_expired.fetch_add(1, std::memory_order_relaxed);
            close_with(model::disconnects::token_expired);
            return;
        case auth::expiry_watch::step::none:
            break;
    }
    if (groups_reading_ > 0 && now_ms - reads_started_ms_ >= svc_.cfg().limits.request_timeout_ms) {
        svc_.log.warn("ws conn={} history not read within {} ms, closing (the client resumes)", id_,
                      svc_.cfg().limits.request_timeout_ms);
        close_with(model::disconnects::broker_unavailable);
        return;
    }
    const auto interval = svc_.cfg().ws.ping_interval_ms;
    if (now_ms - last_read_ms_ >= 2 * interval) {
        close_with(model::disconnects::idle_timeout);
        return;
    }
    if (now_ms - last_ping_ms_ >= interval) {
        last_ping_ms_ = now_ms;
        push(ping_frame());
        request_flush();
    }
}

void ws_session::shutdown() {
    if (closed_ || closing_) return;  // a close frame in flight ends the connection once written
    close_with(model::disconnects::shutdown);
}

void ws_session::wait_readable() {
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void ws_session::on_readable(boost::system::error_code ec) {
    if (closed_) return;
    if (ec) {
        finish("read failed");
        return;
    }
    auto& buf = home_.read_buffer();
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(buf), rec);
    if (rec == asio::error::would_block) {
        wait_readable();
        return;
    }
    if (rec || n == 0) {
        finish("client closed");
        return;
    }
    last_read_ms_ = home_.coarse_now();
    if (!closing_) consume(std::string_view(buf.data(), n));  // once closing, input no longer matters
    if (!closed_) wait_readable();
}

void ws_session::consume(std::string_view bytes) {
    std::vector<protocol::ws_message> messages;
    auto err = parser_.feed(bytes, messages);
    for (auto& m : messages) {
        if (closing_ || closed_) break;
        on_message(m);
    }
    if (err && !closing_ && !closed_) {
        const auto& d = err->close_code == 1009   ? model::disconnects::message_too_big
                         : err->close_code == 1007 ? model::disconnects::invalid_payload
                                                   : model::disconnects::protocol_error;
        svc_.log.info("ws conn={} protocol error: {}", id_, err->message);
        close_with(d, err->message);
    }
    if (!parser_.mid_message()) parser_.shrink();
}

void ws_session::on_message(protocol::ws_message& m) {
    using protocol::ws_opcode;
    switch (m.opcode) {
        case ws_opcode::text:
            on_text(m.payload);
            return;
        case ws_opcode::binary:
            close_with(model::disconnects::unsupported_data);
            return;
        case ws_opcode::ping:
            push(make_frame(protocol::ws_frame(ws_opcode::pong, m.payload)));
            request_flush();
            return;
        case ws_opcode::pong:
            return;
        case ws_opcode::close: {
            std::uint16_t code = 1000;
            if (m.payload.size() >= 2)
                code = static_cast<std::uint16_t>((static_cast<unsigned char>(m.payload[0]) << 8) |
                                                  static_cast<unsigned char>(m.payload[1]));
            // Echo the client's code; one that may not be sent, or a reason that is not UTF-8, fails
            // the connection instead (RFC 6455 §7.4.1, §8.1).
            const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                                  (code >= 3000 && code <= 4999);
            if (!sendable)
                close_with(model::disconnects::protocol_error, "close code " + std::to_string(code) + " may not be sent");
            else if (m.payload.size() > 2 && !protocol::valid_utf8(std::string_view(m.payload).substr(2)))
                close_with(model::disconnects::invalid_payload, "close reason is not valid UTF-8");
            else
                close_with({code, "client_close", "", true}, "closing");
            return;
        }
        case ws_opcode::continuation:
            return;
    }
}

void ws_session::on_text(const std::string& text) {
    protocol::ws_command cmd;
    if (auto err = protocol::parse_ws_command(text, cmd)) {
        send_text(protocol::ws_error_json(err->id, err->error));
        return;
    }
    switch (cmd.op) {
        case protocol::ws_op::ping:
            send_text(protocol::ws_reply_json("pong", cmd.id, ""));
            return;
        case protocol::ws_op::unsubscribe:
            unsubscribe(cmd.channel, cmd.id);
            return;
        case protocol::ws_op::refresh:
            refresh(cmd.token, cmd.id);
            return;
        case protocol::ws_op::subscribe: {
            node::since_spec since;
            if (cmd.since) {
                since.mode = node::since_mode::cursor;
                since.cursor.names_fp = protocol::names_fingerprint({cmd.channel});
                since.cursor.offsets = {cmd.since->offset};
                if (cmd.since->epoch) {
                    since.cursor.epochs_fp = protocol::epochs_fingerprint({*cmd.since->epoch});
                } else if (cmd.since->offset == 0) {
                    since.mode = node::since_mode::earliest;
                } else {
                    since.any_epoch = true;
                }
            }
            if (auto e = svc_.access().subscribe_refusal(who_, cmd.channel)) {
                svc_.metrics.count_auth_refusal(e->code);
                svc_.log.info("ws conn={} subscribe refused: {}: {}", id_, e->code, e->message);
                send_text(protocol::ws_error_json(cmd.id, *e));
                return;
            }
            subscribe({cmd.channel}, std::move(since), cmd.id);
            return;
        }
    }
}

void ws_session::refresh(const std::string& token, const std::string& id) {
    if (who_.trusted) {
        send_text(protocol::ws_error_json(id, {"not_supported", 400, "this connection is authorized by an API key",
                                               "refresh is for subscriber tokens on the public listener"}));
        return;
    }
    auto who = svc_.access().authenticate(token);
    if (!who) {
        svc_.metrics.count_auth_refusal(who.err().code);
        svc_.log.info("ws conn={} refresh refused: {}: {}", id_, who.err().code, who.err().message);
        send_text(protocol::ws_error_json(id, who.err()));
        return;
    }
    if (who_.sub && who->sub != who_.sub) {
        svc_.metrics.count_auth_refusal("forbidden");
        send_text(protocol::ws_error_json(id, {"forbidden", 403, "the new token is for another user than this connection's",
                                               "open a new connection for another user"}));
        return;
    }
    const bool gained_user = !who_.sub && who->sub;
    who_ = std::move(*who);
    expiry_.renew(who_.exp_ms);
    // Subscriptions the new token no longer grants end now: a refresh never widens past the token.
    std::vector<std::string> revoked;
    for (const auto& s : subs_)
        if (svc_.access().subscribe_refusal(who_, s.channel)) revoked.push_back(s.channel);
    for (const auto& c : revoked) {
        drop(c);
        send_text(protocol::ws_reply_json("unsubscribed", "", ",\"channel\":" + protocol::json_quote(c) + ",\"reason\":\"forbidden\""));
    }
    send_text(protocol::ws_reply_json("refreshed", id,
                                      who_.exp_ms ? ",\"exp\":" + std::to_string(*who_.exp_ms / 1000) : std::string()));
    const auto personal = who_.personal_channel();
    if (gained_user && !find(personal)) subscribe_personal();
}

bool ws_session::end_for_user(std::string_view user, const model::disconnect& why) {
    if (closed_ || !who_.sub || *who_.sub != user) return false;
    if (closing_) {
        finish(why.name);
        return true;
    }
    close_with(why);
    return true;
}

void ws_session::finish(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    for (const auto& s : subs_) svc_.node.hub().remove(home_.index(), s.channel, this);
    subs_.clear();
    svc_.log.debug("ws conn={} closed: {}", id_, why);
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    svc_.metrics.connection_closed(origin_.listener == listener_kind::internal_listener);
    home_.remove(shared_from_this());
}

std::optional<connection_description> ws_session::describe() const {
    connection_description d;
    d.id = id_;
    d.transport = "ws";
    d.user = who_.sub;
    for (const auto& s : subs_) d.channels.push_back(s.channel);
    std::sort(d.channels.begin(), d.channels.end());
    d.origin = origin_;
    d.outbox_bytes = outbox_.total_bytes();
    return d;
}

}  // namespace herald::sidecar
