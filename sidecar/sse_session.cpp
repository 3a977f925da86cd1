// SSE session: headers + opening comment, hub registration, history replay, live delivery.
#include "sidecar/sse_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lib/model/disconnect.hpp"
#include "lib/protocol/cursor.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/protocol/sse_encoder.hpp"
#include "sidecar/gather_write.hpp"

namespace herald::sidecar {

namespace {
constexpr int notsent_lowat = 16 * 1024;

channels::frame make_frame(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

const channels::frame& keepalive_frame() {
    static const channels::frame f = make_frame(protocol::sse_comment("keepalive"));
    return f;
}
}  // namespace

sse_session::sse_session(services& svc, shard& home, asio::ip::tcp::socket socket, std::uint64_t id, sse_params params)
    : svc_(svc),
      home_(home),
      socket_(std::move(socket)),
      id_(id),
      params_(std::move(params)),
      outbox_(svc.cfg().limits.outbox_bytes),
      expiry_(params_.exp_ms, svc.cfg().auth.expiring_notice_ms) {
    svc_.metrics.sse_streams_open.fetch_add(1, std::memory_order_relaxed);
    svc_.metrics.sse_streams_total.fetch_add(1, std::memory_order_relaxed);
}

sse_session::~sse_session() { svc_.metrics.sse_streams_open.fetch_sub(1, std::memory_order_relaxed); }

void sse_session::start() {
    home_.add(shared_from_this());
    boost::system::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);  // reads only after readiness, and never block the shard
    started_ms_ = home_.coarse_now();
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &notsent_lowat, sizeof notsent_lowat);

    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n"
        "Connection: close\r\n";
    if (!params_.allow_origin.empty()) {
        head.append("Access-Control-Allow-Origin: ").append(params_.allow_origin).append("\r\n");
        if (params_.allow_origin != "*") head.append("Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n");
    }
    head.append("\r\n");
    head.append(protocol::sse_comment("herald stream open"));
    head.append(protocol::sse_retry(static_cast<unsigned>(svc_.cfg().sse.retry_ms)));
    push(make_frame(std::move(head)));
    request_flush();
    wait_readable();

    const auto& chans = params_.channels;
    names_fp_ = protocol::names_fingerprint(chans);
    epochs_.resize(chans.size());
    offsets_.resize(chans.size());
    histories_.resize(chans.size());
    for (const auto& c : chans) svc_.node.hub().add(home_.index(), c, this);
    in_hub_ = true;

    auto plan = node::read_plan(params_.since, chans);
    reads_pending_ = chans.size();
    auto self = shared_from_this();
    for (std::size_t i = 0; i < chans.size(); ++i) {
        svc_.node.read(chans[i], plan[i], std::numeric_limits<std::size_t>::max(),
                       [self, i](model::result<broker::channel_history> h) {
                           auto& io = self->home_.io();
                           asio::dispatch(io, [self, i, h = std::move(h)]() mutable {
                               self->on_history(i, std::move(h));
                           });
                       });
    }
}

void sse_session::on_history(std::size_t index, model::result<broker::channel_history> h) {
    if (closed_ || closing_) return;  // ended meanwhile (deadline, drain, logout)
    if (!h) {
        svc_.log.warn("sse conn={} cannot read channel '{}': {}", id_, params_.channels[index], h.err().message);
        goodbye(model::disconnects::broker_unavailable);  // the client comes back with the position it asked for
        return;
    }
    histories_[index] = std::move(h.value());
    if (--reads_pending_ == 0) go_live();
}

void sse_session::go_live() {
    plan_ = node::plan_resume(params_.since, params_.channels, std::move(histories_));
    histories_ = {};
    for (std::size_t i = 0; i < plan_.size(); ++i) {
        epochs_[i] = plan_[i].epoch;
        offsets_[i] = params_.since.mode == node::since_mode::cursor && plan_[i].reset_reason.empty()
                          ? params_.since.cursor.offsets[i]
                          : 0;
    }
    // Positions of reset channels first, so every id written below already reflects them.
    for (std::size_t i = 0; i < plan_.size(); ++i)
        if (!plan_[i].reset_reason.empty()) offsets_[i] = plan_[i].resume_offset;
    epochs_fp_ = protocol::epochs_fingerprint(epochs_);
    for (std::size_t i = 0; i < plan_.size(); ++i)
        if (!plan_[i].reset_reason.empty()) send_reset(i, plan_[i].reset_reason);
    replay_channel_ = 0;
    replay_pos_ = 0;
    pump_replay();
}

void sse_session::pump_replay() {
    // Replay is paced by the outbox: as much as fits is queued, the rest when a write completes,
    // so a long history never counts as a slow consumer (live events wait in held_, bounded).
    while (replay_channel_ < plan_.size()) {
        auto& p = plan_[replay_channel_];
        if (!p.reset_reason.empty() || replay_pos_ == p.replay.size()) {
            if (p.reset_reason.empty()) offsets_[replay_channel_] = p.resume_offset;
            ++replay_channel_;
            replay_pos_ = 0;
            continue;
        }
        const auto& ev = p.replay[replay_pos_];
        const std::size_t estimate = ev->data.size() + ev->name.size() + 64;
        if (!outbox_.empty() || outbox_.writing()) {
            if (outbox_.total_bytes() + estimate > outbox_.max_bytes()) {
                request_flush();
                return;  // resumed from the write completion
            }
        }
        offsets_[replay_channel_] = ev->offset;
        std::string f = protocol::sse_id_line(current_cursor());
        f.append(protocol::sse_event_body(*ev, params_.envelope));
        outbox_.push_unchecked(make_frame(std::move(f)));
        svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
        ++replay_pos_;
    }
    plan_ = {};
    // The position the stream starts from, so a client can resume even before its first event.
    push(make_frame(protocol::sse_id_line(current_cursor()) + "\n"));
    replaying_ = false;
    auto held = std::move(held_);
    held_ = {};
    held_bytes_ = 0;
    for (const auto& ev : held) {
        if (closed_ || closing_) return;
        deliver_live(*ev);
    }
    request_flush();
}

std::string sse_session::current_cursor() const {
    protocol::cursor c;
    c.names_fp = names_fp_;
    c.epochs_fp = epochs_fp_;
    c.offsets = offsets_;
    return protocol::encode_cursor(c);
}

void sse_session::send_reset(std::size_t index, std::string_view reason) {
    svc_.metrics.resets_sent.fetch_add(1, std::memory_order_relaxed);
    std::string data = "{\"channel\":" + protocol::json_quote(params_.channels[index]) +
                       ",\"reason\":" + protocol::json_quote(reason) + ",\"epoch\":" + protocol::json_quote(epochs_[index]) +
                       ",\"offset\":" + std::to_string(offsets_[index]) + "}";
    std::string f = protocol::sse_id_line(current_cursor());
    f.append(protocol::sse_control_event("herald.reset", data));
    push(make_frame(std::move(f)));
}

void sse_session::deliver(const channels::encoded_event_ptr& ev) noexcept {
    if (closed_ || closing_) return;
    if (replaying_) {
        held_bytes_ += channels::held_cost(*ev);
        if (held_.size() >= channels::max_held_events || held_bytes_ > outbox_.max_bytes()) {
            // The client is not reading its replay while live events pile up: end it as a slow
            // consumer; the goodbye carries the position of what was queued before it.
            closing_ = true;
            held_.clear();
            asio::post(home_.io(), [self = shared_from_this()] {
                self->svc_.metrics.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
                self->svc_.log.warn("sse conn={} slow consumer: {} live events held during replay, disconnecting",
                                    self->id_, channels::max_held_events);
                self->closing_ = false;
                self->goodbye(model::disconnects::slow_consumer);
            });
            return;
        }
        held_.push_back(ev);
        return;
    }
    deliver_live(*ev);
    request_flush();
}

void sse_session::deliver_live(const channels::encoded_event& enc) {
    const auto& ev = enc.event();
    std::size_t i = 0;
    if (params_.channels.size() > 1) {
        while (i < params_.channels.size() && params_.channels[i] != ev.channel) ++i;
        if (i == params_.channels.size()) return;
    }
    if (ev.epoch != epochs_[i]) {
        epochs_[i] = ev.epoch;
        epochs_fp_ = protocol::epochs_fingerprint(epochs_);
        offsets_[i] = ev.offset - 1;
        send_reset(i, "epoch_changed");
    } else if (ev.offset <= offsets_[i]) {
        return;  // already replayed
    }
    offsets_[i] = ev.offset;
    bool ok;
    if (params_.channels.size() == 1) {
        ok = push(enc.sse_single(params_.envelope));
    } else {
        const auto& body = enc.sse_body(params_.envelope);
        auto id = make_frame(protocol::sse_id_line(current_cursor()));
        ok = outbox_.total_bytes() + id->size() + body->size() <= outbox_.max_bytes() && push(std::move(id)) && push(body);
        if (!ok) push(nullptr);
    }
    if (ok) svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
}

bool sse_session::push(channels::frame f) {
    if (closing_ || closed_) return false;
    if (f && outbox_.push(std::move(f))) return true;
    // Over the cap: this reader is not keeping up. Close after the current work; the client
    // resumes from the last id it received.
    closing_ = true;
    svc_.metrics.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    svc_.log.warn("sse conn={} slow consumer: outbox over {} bytes, disconnecting (client resumes from its last id)",
                  id_, outbox_.max_bytes());
    asio::post(home_.io(), [self = shared_from_this()] { self->finish("slow consumer"); });
    return false;
}

void sse_session::request_flush() {
    if (flush_requested_ || closed_) return;
    flush_requested_ = true;
    home_.request_flush(shared_from_this());
}

void sse_session::flush() {
    flush_requested_ = false;
    if (closed_ || outbox_.writing() || outbox_.empty()) return;  // nothing to start: no refcount traffic
    last_write_ms_ = home_.coarse_now();
    gather_write(socket_, outbox_, batch_, buffers_,
                 [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                     if (self->closed_) return;
                     if (ec) {
                         self->finish("write failed");
                         return;
                     }
                     self->svc_.metrics.shard(self->home_.index()).bytes_out.fetch_add(bytes, std::memory_order_relaxed);
                     if (self->replaying_ && !self->closing_ && self->reads_pending_ == 0) self->pump_replay();
                     if (!self->outbox_.empty() && (!self->closing_ || self->goodbye_))
                         self->flush();
                     else if (self->goodbye_ && self->outbox_.empty())
                         self->finish("goodbye written");
                 });
}

void sse_session::tick(std::int64_t now_ms) {
    if (closed_) return;
    if (closing_) {
        if (goodbye_ && now_ms >= goodbye_deadline_ms_) finish("goodbye not written in time");
        return;
    }
    switch (expiry_.poll(home_.coarse_wall())) {
        case auth::expiry_watch::step::notice: {
            const auto exp = *expiry_.exp();
            push(make_frame(protocol::sse_control_event(
                "herald.auth_expiring", "{\"exp\":" + std::to_string(exp / 1000) + ",\"expires_in_ms\":" +
                                            std::to_string(std::max<std::int64_t>(0, exp - home_.coarse_wall())) + "}")));
            request_flush();
            break;
        }
        case auth::expiry_watch::step::expired:
            svc_.metrics.tokens_expired.fetch_add(1, std::memory_order_relaxed);
            svc_.log.debug("sse conn={} token of user '{}' expired, ending the stream", id_, params_.user);
            goodbye(model::disconnects::token_expired);
            return;
        case auth::expiry_watch::step::none:
            break;
    }
    if (reads_pending_ > 0 && now_ms - started_ms_ >= svc_.cfg().limits.request_timeout_ms) {
        svc_.log.warn("sse conn={} history not read within {} ms, ending the stream (it resumes)", id_,
                      svc_.cfg().limits.request_timeout_ms);
        goodbye(model::disconnects::broker_unavailable);
        return;
    }
    if (replaying_ && reads_pending_ == 0) return;  // a paced replay is writing
    if (now_ms - last_write_ms_ >= svc_.cfg().sse.keepalive_ms && outbox_.empty()) {
        push(keepalive_frame());
        request_flush();
    }
}

void sse_session::shutdown() {
    if (closed_ || goodbye_) return;  // a goodbye in flight ends the stream once written
    if (closing_ || replaying_) {
        finish("server stopping");
        return;
    }
    goodbye(model::disconnects::shutdown);
}

bool sse_session::end_for_user(std::string_view user, const model::disconnect& why) {
    if (closed_ || params_.user.empty() || params_.user != user) return false;
    goodbye(why);
    return true;
}

void sse_session::goodbye(const model::disconnect& d) {
    if (closed_) return;
    if (closing_) {
        finish(d.name);
        return;
    }
    // Before the history is read the stream has no position of its own: it hands back the one it
    // was asked for (none for a live or earliest start, which the same URL repeats).
    const bool positioned = reads_pending_ == 0;
    std::string cursor = positioned ? current_cursor()
                         : params_.since.mode == node::since_mode::cursor ? protocol::encode_cursor(params_.since.cursor)
                                                                          : std::string();
    std::string data = "{\"code\":" + std::to_string(d.code) + ",\"name\":\"" + std::string(d.name) + "\",\"reason\":\"" +
                       std::string(d.reason) + "\",\"reconnect\":" + (d.reconnect ? "true" : "false") +
                       ",\"cursor\":" + (cursor.empty() ? std::string("null") : protocol::json_quote(cursor)) + "}";
    std::string bye = protocol::sse_retry(static_cast<unsigned>(svc_.cfg().sse.retry_ms));
    bye.append(protocol::sse_control_event("herald.disconnect", data));
    // A goodbye is small and bounded: it goes past the outbox cap, so a slow consumer still learns why.
    outbox_.push_unchecked(make_frame(std::move(bye)));
    closing_ = true;
    goodbye_ = true;
    goodbye_deadline_ms_ = home_.coarse_now() + 2000;
    if (!outbox_.writing() && outbox_.empty()) {
        finish(d.name);
        return;
    }
    request_flush();
}

void sse_session::wait_readable() {
    socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (self->closed_) return;
        if (ec) {
            self->finish("read failed");
            return;
        }
        char sink[256];
        boost::system::error_code rec;
        std::size_t n = self->socket_.read_some(asio::buffer(sink), rec);
        if (rec == asio::error::would_block) {
            self->wait_readable();
            return;
        }
        if (rec || n == 0) {
            self->finish("client closed");
            return;
        }
        self->wait_readable();  // a client may send bytes on an SSE stream; they carry no meaning
    });
}

void sse_session::finish(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    if (in_hub_) {
        for (const auto& c : params_.channels) svc_.node.hub().remove(home_.index(), c, this);
        in_hub_ = false;
    }
    svc_.log.debug("sse conn={} closed: {}", id_, why);
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    held_.clear();
    svc_.metrics.connection_closed(params_.origin.listener == listener_kind::internal_listener);
    home_.remove(shared_from_this());
}

std::optional<connection_description> sse_session::describe() const {
    connection_description d;
    d.id = id_;
    d.transport = "sse";
    if (!params_.user.empty()) d.user = params_.user;
    d.channels = params_.channels;
    d.origin = params_.origin;
    d.outbox_bytes = outbox_.total_bytes();
    return d;
}

}  // namespace herald::sidecar
