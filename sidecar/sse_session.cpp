// SSE session: response head, cursors, and the SSE rendering of every stream frame.
#include "sidecar/sse_session.hpp"

#include "lib/protocol/cursor.hpp"
#include "lib/protocol/sse_encoder.hpp"
#include "lib/protocol/stream_messages.hpp"

namespace herald::sidecar {

namespace {
channels::frame make_frame(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

const channels::frame& keepalive_frame() {
    static const channels::frame f = make_frame(protocol::sse_comment("keepalive"));
    return f;
}

std::string response_head(const std::string& allow_origin, unsigned retry_ms) {
    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n"
        "Connection: close\r\n";
    if (!allow_origin.empty()) {
        head.append("Access-Control-Allow-Origin: ").append(allow_origin).append("\r\n");
        if (allow_origin != "*") head.append("Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n");
    }
    head.append("\r\n");
    head.append(protocol::sse_comment("herald stream open"));
    head.append(protocol::sse_retry(retry_ms));
    return head;
}
}  // namespace

sse_session::sse_session(services& svc, shard& home, shard_socket socket, std::uint64_t id, sse_params params)
    : stream_session(svc, home, std::move(socket), id, params.origin),
      params_(std::make_unique<sse_params>(std::move(params))) {
    svc_.metrics.sse_streams_open.fetch_add(1, std::memory_order_relaxed);
    svc_.metrics.sse_streams_total.fetch_add(1, std::memory_order_relaxed);
}

sse_session::~sse_session() { svc_.metrics.sse_streams_open.fetch_sub(1, std::memory_order_relaxed); }

void sse_session::start() {
    auto p = std::move(params_);
    set_user(std::move(p->user));
    expiry_ = auth::expiry_watch(p->exp_ms, svc_.cfg().auth.expiring_notice_ms);
    envelope_ = p->envelope;
    names_fp_ = protocol::names_fingerprint(p->channels);
    if (p->since.mode == node::since_mode::cursor) asked_ = std::make_unique<protocol::cursor>(p->since.cursor);
    begin();
    push(make_frame(response_head(p->allow_origin, static_cast<unsigned>(svc_.cfg().sse.retry_ms))));
    request_flush();
    wait_readable();
    open(std::move(p->channels), std::move(p->since), {}, false);
}

std::string sse_session::current_cursor() const {
    protocol::cursor c;
    c.names_fp = names_fp_;
    c.epochs_fp = epochs_fp_;
    for (const auto& ch : state().channels()) c.offsets.push_back(ch.offset);
    return protocol::encode_cursor(c);
}

void sse_session::announce(const open_request&, const stream::channel_state& c, std::string_view reset_reason) {
    if (!started_) {
        // Every channel's plan is applied before the first announcement: the ids below are final.
        started_ = true;
        asked_.reset();
        std::vector<std::string> epochs;
        for (const auto& ch : state().channels()) epochs.push_back(ch.epoch);
        epochs_fp_ = protocol::epochs_fingerprint(epochs);
    }
    if (!reset_reason.empty()) push(reset_frame(c, reset_reason));
}

void sse_session::read_failed(const open_request&) {
    // The client comes back with the position it asked for.
    end_politely(model::disconnects::broker_unavailable);
}

channels::frame sse_session::replay_frame(const stream::channel_state&, const model::event& ev) {
    std::string f = protocol::sse_id_line(current_cursor());
    f.append(protocol::sse_event_body(ev, envelope_));
    return make_frame(std::move(f));
}

bool sse_session::push_live(const stream::channel_state&, const channels::encoded_event& ev) {
    // One channel: the event's own shared frame carries the right id. Several: the id is this
    // stream's own (every channel's position), the body is shared.
    if (state().channels().size() == 1) return push(ev.sse_single(envelope_));
    return push_pair(make_frame(protocol::sse_id_line(current_cursor())), ev.sse_body(envelope_));
}

channels::frame sse_session::reset_frame(const stream::channel_state& c, std::string_view reason) {
    if (started_) {  // the epoch may have moved
        std::vector<std::string> epochs;
        for (const auto& ch : state().channels()) epochs.push_back(ch.epoch);
        epochs_fp_ = protocol::epochs_fingerprint(epochs);
    }
    std::string f = protocol::sse_id_line(current_cursor());
    f.append(protocol::sse_control_event("herald.reset",
                                         protocol::json_object(protocol::reset_members(c.channel, reason, c.epoch, c.offset))));
    return make_frame(std::move(f));
}

void sse_session::replay_done() {
    // The position the stream starts from, so a client can resume even before its first event.
    push(make_frame(protocol::sse_id_line(current_cursor()) + "\n"));
}

channels::frame sse_session::gap_frame(const stream::channel_state& c, std::uint64_t first, std::uint64_t last) {
    std::string f = protocol::sse_id_line(current_cursor());
    f.append(protocol::sse_control_event("herald.gap", protocol::json_object(protocol::gap_members(c.channel, c.epoch, first, last))));
    return make_frame(std::move(f));
}

channels::frame sse_session::goodbye_frame(const model::disconnect& d, std::string_view) {
    // Before the history is read the stream has no position of its own: it hands back the one it
    // was asked for (none for a live or earliest start, which the same URL repeats).
    const std::string cursor = started_ ? current_cursor() : asked_ ? protocol::encode_cursor(*asked_) : std::string();
    std::string bye = protocol::sse_retry(static_cast<unsigned>(svc_.cfg().sse.retry_ms));
    bye.append(protocol::sse_control_event("herald.disconnect", protocol::json_object(protocol::disconnect_members(d, cursor))));
    return make_frame(std::move(bye));
}

channels::frame sse_session::expiring_frame(std::int64_t exp_ms, std::int64_t expires_in_ms) {
    return make_frame(
        protocol::sse_control_event("herald.auth_expiring", protocol::json_object(protocol::expiring_members(exp_ms, expires_in_ms))));
}

void sse_session::heartbeat(std::int64_t now_ms) {
    if (replaying()) return;  // a paced replay is writing
    if (now_ms - last_write_ms_ >= svc_.cfg().sse.keepalive_ms && outbox_.empty()) {
        push(keepalive_frame());
        request_flush();
    }
}

}  // namespace herald::sidecar
