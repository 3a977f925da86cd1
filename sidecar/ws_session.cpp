// WebSocket session: the 101, commands, control frames, and the WebSocket rendering of every
// stream frame (JSON messages from lib/protocol, framed once).
#include "sidecar/ws_session.hpp"

#include <algorithm>

#include "lib/protocol/json_codec.hpp"
#include "lib/protocol/stream_messages.hpp"
#include "lib/protocol/ws_codec.hpp"
#include "lib/stream/subscribe_since.hpp"

namespace herald::sidecar {

namespace {
channels::frame make_frame(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

channels::frame text_frame(std::string_view json) {
    return make_frame(protocol::ws_frame(protocol::ws_opcode::text, json));
}

const channels::frame& ping_frame() {
    static const channels::frame f = make_frame(protocol::ws_frame(protocol::ws_opcode::ping, ""));
    return f;
}
}  // namespace

ws_session::ws_session(services& svc, shard& home, shard_socket socket, std::uint64_t id, ws_params params)
    : stream_session(svc, home, std::move(socket), id, params.origin),
      params_(std::make_unique<ws_params>(std::move(params))),
      parser_(svc.cfg().ws.max_message_bytes) {
    svc_.metrics.ws_open.fetch_add(1, std::memory_order_relaxed);
    svc_.metrics.ws_total.fetch_add(1, std::memory_order_relaxed);
}

ws_session::~ws_session() { svc_.metrics.ws_open.fetch_sub(1, std::memory_order_relaxed); }

void ws_session::start() {
    auto p = std::move(params_);
    begin();
    last_ping_ms_ = last_read_ms_;
    push(make_frame("HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " +
                    p->accept_key + "\r\n\r\n"));
    flush();  // the 101 goes in flight at once: nothing queued after it can precede it
    if (p->refusal) {
        end_politely(p->refusal->code, p->refusal->reason);
        wait_readable();
        return;
    }
    who_ = std::move(p->who);
    set_user(who_.sub.value_or(""));
    expiry_ = auth::expiry_watch(who_.exp_ms, svc_.cfg().auth.expiring_notice_ms);
    const auto personal = who_.personal_channel();
    const bool personal_in_query =
        !personal.empty() && std::find(p->channels.begin(), p->channels.end(), personal) != p->channels.end();
    if (!p->channels.empty()) subscribe(std::move(p->channels), std::move(p->since), "", false);
    if (!personal.empty() && !personal_in_query) subscribe_personal();
    if (!p->initial_bytes.empty()) {
        on_input(p->initial_bytes);
        if (ending()) {
            wait_readable();
            return;
        }
    }
    wait_readable();
}

// ---- the stream machine's frames --------------------------------------------------------------

void ws_session::announce(const open_request& g, const stream::channel_state& c, std::string_view reset_reason) {
    const bool recovered = reset_reason.empty() && g.since.mode != node::since_mode::live;
    send_text(protocol::ws_reply_json("subscribed", g.id,
                                      protocol::more_members(protocol::subscribed_members(c.channel, c.epoch, c.offset, recovered))));
    if (!reset_reason.empty()) push(reset_frame(c, reset_reason));
}

void ws_session::read_failed(const open_request& g) {
    for (std::size_t i = 0; i < g.channels.size(); ++i) {
        auto* c = state().find(g.channels[i]);
        if (c && c->generation == g.generations[i]) leave(g.channels[i]);
    }
    send_text(protocol::ws_error_json(
        g.id, model::errors::unavailable("cannot read channel history from the broker", "retry the subscribe in a moment")));
}

channels::frame ws_session::replay_frame(const stream::channel_state&, const model::event& ev) {
    return text_frame(protocol::ws_event_json(ev));
}

bool ws_session::push_live(const stream::channel_state&, const channels::encoded_event& ev) { return push(ev.ws()); }

channels::frame ws_session::reset_frame(const stream::channel_state& c, std::string_view reason) {
    return text_frame(
        protocol::ws_reply_json("reset", "", protocol::more_members(protocol::reset_members(c.channel, reason, c.epoch, c.offset))));
}

channels::frame ws_session::gap_frame(const stream::channel_state& c, std::uint64_t first, std::uint64_t last) {
    return text_frame(protocol::ws_reply_json("gap", "", protocol::more_members(protocol::gap_members(c.channel, c.epoch, first, last))));
}

channels::frame ws_session::goodbye_frame(const model::disconnect& d, std::string_view detail) {
    std::string reason(detail.empty() ? d.reason : detail);
    if (reason.size() > 123) reason.resize(123);  // a close frame's payload is at most 125 bytes
    return make_frame(protocol::ws_close_frame(d.code, reason));
}

channels::frame ws_session::expiring_frame(std::int64_t exp_ms, std::int64_t expires_in_ms) {
    return text_frame(
        protocol::ws_reply_json("auth_expiring", "", protocol::more_members(protocol::expiring_members(exp_ms, expires_in_ms))));
}

void ws_session::heartbeat(std::int64_t now_ms) {
    const auto interval = svc_.cfg().ws.ping_interval_ms;
    if (now_ms - last_read_ms_ >= 2 * interval) {
        end_politely(model::disconnects::idle_timeout);
        return;
    }
    if (now_ms - last_ping_ms_ >= interval) {
        last_ping_ms_ = now_ms;
        push(ping_frame());
        request_flush();
    }
}

// ---- commands ---------------------------------------------------------------------------------

void ws_session::send_text(std::string json) {
    push(text_frame(json));
    request_flush();
}

void ws_session::subscribe_personal() { subscribe({who_.personal_channel()}, {}, "", true); }

void ws_session::subscribe(std::vector<std::string> channels, node::since_spec since, std::string id, bool automatic) {
    // An explicit subscribe (say, resuming with since) takes over the automatic user: subscription.
    for (const auto& c : channels)
        if (auto* s = state().find(c); s && s->automatic && !automatic) leave(c);
    const auto count = state().channels().size() + channels.size();
    if (count > svc_.cfg().limits.max_channels_per_connection) {
        send_text(protocol::ws_error_json(id, model::errors::too_many_channels(count, svc_.cfg().limits.max_channels_per_connection)));
        return;
    }
    for (const auto& c : channels)
        if (state().find(c)) {
            send_text(protocol::ws_error_json(id, model::errors::already_subscribed(c)));
            return;
        }
    open(std::move(channels), std::move(since), std::move(id), automatic);
}

void ws_session::unsubscribe(const std::string& channel, const std::string& id) {
    if (!leave(channel)) {
        send_text(protocol::ws_error_json(id, model::errors::not_subscribed(channel)));
        return;
    }
    send_text(protocol::ws_reply_json("unsubscribed", id, protocol::more_members(protocol::unsubscribed_members(channel, ""))));
}

void ws_session::on_input(std::string_view bytes) {
    std::vector<protocol::ws_message> messages;
    auto err = parser_.feed(bytes, messages);
    for (auto& m : messages) {
        if (ending()) break;
        on_message(m);
    }
    if (err && !ending()) {
        const auto& d = err->close_code == 1009   ? model::disconnects::message_too_big
                         : err->close_code == 1007 ? model::disconnects::invalid_payload
                                                   : model::disconnects::protocol_error;
        svc_.log.info("ws conn={} protocol error: {}", id_, err->message);
        end_politely(d, err->message);
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
            end_politely(model::disconnects::unsupported_data);
            return;
        case ws_opcode::ping:
            push(make_frame(protocol::ws_frame(ws_opcode::pong, m.payload)));
            request_flush();
            return;
        case ws_opcode::close:
            on_close_frame(m.payload);
            return;
        case ws_opcode::pong:
        case ws_opcode::continuation:
            return;
    }
}

void ws_session::on_close_frame(const std::string& payload) {
    std::uint16_t code = 1000;
    if (payload.size() >= 2)
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
    // Echo the client's code; one that may not be sent, or a reason that is not UTF-8, fails the
    // connection instead (RFC 6455 §7.4.1, §8.1).
    const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    if (!sendable)
        end_politely(model::disconnects::protocol_error, "close code " + std::to_string(code) + " may not be sent");
    else if (payload.size() > 2 && !protocol::valid_utf8(std::string_view(payload).substr(2)))
        end_politely(model::disconnects::invalid_payload, "close reason is not valid UTF-8");
    else
        end_politely({code, "client_close", "", true}, "closing");
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
        case protocol::ws_op::subscribe:
            break;
    }
    if (auto e = svc_.access().subscribe_refusal(who_, cmd.channel)) {
        svc_.metrics.count_auth_refusal(e->code);
        svc_.log.info("ws conn={} subscribe refused: {}: {}", id_, e->code, e->message);
        send_text(protocol::ws_error_json(cmd.id, *e));
        return;
    }
    subscribe({cmd.channel}, stream::subscribe_since(cmd.channel, cmd.since), cmd.id, false);
}

void ws_session::refresh(const std::string& token, const std::string& id) {
    if (who_.trusted) {
        send_text(protocol::ws_error_json(id, model::errors::refresh_not_supported()));
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
        const auto e = model::errors::other_user_token();
        svc_.metrics.count_auth_refusal(e.code);
        send_text(protocol::ws_error_json(id, e));
        return;
    }
    const bool gained_user = !who_.sub && who->sub;
    who_ = std::move(*who);
    set_user(who_.sub.value_or(""));
    expiry_.renew(who_.exp_ms);
    // Subscriptions the new token no longer grants end now: a refresh never widens past the token.
    std::vector<std::string> revoked;
    for (const auto& c : state().channels())
        if (svc_.access().subscribe_refusal(who_, c.channel)) revoked.push_back(c.channel);
    for (const auto& c : revoked) {
        leave(c);
        send_text(protocol::ws_reply_json("unsubscribed", "", protocol::more_members(protocol::unsubscribed_members(c, "forbidden"))));
    }
    const auto members = protocol::refreshed_members(who_.exp_ms);
    send_text(protocol::ws_reply_json("refreshed", id, members.empty() ? members : protocol::more_members(members)));
    if (gained_user && !state().find(who_.personal_channel())) subscribe_personal();
}

}  // namespace herald::sidecar
