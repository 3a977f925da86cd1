// Stream session machine: set-up, channel opening and replay, live delivery, writes, tick, ends.
#include "sidecar/stream_session.hpp"

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lib/config/channel_policies.hpp"
#include "sidecar/exact_allocator.hpp"
#include "sidecar/gather_write.hpp"

namespace herald::sidecar {

namespace {
// Unsent bytes the kernel may hold before the socket stops reporting writable: the rest waits in
// the outbox, where it is counted against the cap.
constexpr int notsent_lowat = 16 * 1024;
}  // namespace

stream_session::stream_session(services& svc, shard& home, shard_socket socket, std::uint64_t id,
                               connection_origin origin)
    : svc_(svc),
      home_(home),
      socket_(std::move(socket)),
      id_(id),
      origin_(origin),
      outbox_(svc.cfg().limits.outbox_bytes),
      state_(svc.cfg().limits.outbox_bytes) {}

stream_session::~stream_session() = default;

void stream_session::begin() {
    home_.add(shared_from_this());
    boost::system::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);  // reads only after readiness, and never block the shard
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &notsent_lowat, sizeof notsent_lowat);
    last_read_ms_ = last_write_ms_ = home_.coarse_now();
}

// ---- opening channels -------------------------------------------------------------------------

void stream_session::open(std::vector<std::string> channels, node::since_spec since, std::string id, bool automatic) {
    auto g = std::make_shared<open_request>();
    g->since = std::move(since);
    g->id = std::move(id);
    g->histories.resize(channels.size());
    g->pending = channels.size();
    for (const auto& c : channels) {
        g->generations.push_back(state_.open(c, automatic));
        switch (svc_.policies().delivery(c).slow_consumer) {
            case config::slow_consumer_mode::conflate:
                state_.find(c)->slow_rule = stream::backlog_rule::conflate;
                break;
            case config::slow_consumer_mode::drop_oldest:
                state_.find(c)->slow_rule = stream::backlog_rule::drop_oldest;
                break;
            case config::slow_consumer_mode::disconnect:
                break;
        }
        svc_.node.hub().add(home_.index(), c, this);
        svc_.presence.channel_joined(c);
    }
    g->channels = std::move(channels);
    if (groups_reading_++ == 0) reads_started_ms_ = home_.coarse_now();
    std::vector<bool> keyed;
    for (const auto& c : g->channels) keyed.push_back(svc_.policies().storage(c).keyed);
    auto plan = node::read_plan(g->since, g->channels, keyed);
    auto self = shared_from_this();
    for (std::size_t i = 0; i < g->channels.size(); ++i) {
        auto done = [self, g, i](model::result<broker::channel_history> h) {
            asio::dispatch(self->home_.io(), [self, g, i, h = std::move(h)]() mutable { self->on_read(g, i, std::move(h)); });
        };
        if (plan[i].latest)
            svc_.node.broker().read_latest(g->channels[i], std::move(done));
        else
            svc_.node.read(g->channels[i], plan[i].after, std::numeric_limits<std::size_t>::max(), std::move(done));
    }
}

void stream_session::on_read(std::shared_ptr<open_request> g, std::size_t index, model::result<broker::channel_history> h) {
    if (ending()) return;  // ended meanwhile (deadline, drain, logout)
    if (!h) {
        g->failed = true;
        svc_.log.warn("{} conn={} cannot read channel '{}': {}", label(), id_, g->channels[index], h.err().message);
    } else {
        g->histories[index] = std::move(h.value());
    }
    if (--g->pending > 0) return;
    --groups_reading_;
    finish_group(*g);
}

void stream_session::finish_group(open_request& g) {
    if (g.failed) {
        read_failed(g);
        return;
    }
    auto plans = node::plan_resume(g.since, g.channels, std::move(g.histories));
    std::vector<stream::channel_state*> applied(plans.size(), nullptr);
    for (std::size_t i = 0; i < plans.size(); ++i) {
        std::string reason = plans[i].reset_reason;
        if (state_.apply(g.channels[i], g.generations[i], std::move(plans[i]))) {
            plans[i].reset_reason = std::move(reason);  // the state took the events; the announcement needs the reason
            applied[i] = state_.find(g.channels[i]);
        }
    }
    for (std::size_t i = 0; i < plans.size(); ++i) {
        if (!applied[i] || ending()) continue;  // left meanwhile
        if (!plans[i].reset_reason.empty()) svc_.metrics.resets_sent.fetch_add(1, std::memory_order_relaxed);
        announce(g, *applied[i], plans[i].reset_reason);
    }
    pump_replay();
    // A channel with occupancy starts with the latest count sent to its other subscribers here.
    for (std::size_t i = 0; i < plans.size(); ++i) {
        if (!applied[i] || !svc_.policies().presence(g.channels[i]).occupancy) continue;
        if (auto count = svc_.presence.current_occupancy(g.channels[i])) notify(occupancy_notice(g.channels[i], *count));
    }
}

bool stream_session::leave(std::string_view channel) {
    if (auto* c = state_.find(channel); c && c->waiting) --backlogged_;
    if (!state_.close(channel)) return false;
    svc_.node.hub().remove(home_.index(), std::string(channel), this);
    svc_.presence.channel_left(std::string(channel));
    return true;
}

void stream_session::set_user(std::string user) {
    if (user == user_) return;
    svc_.presence.user_closed(user_);
    user_ = std::move(user);
    svc_.presence.user_opened(user_);
}

void stream_session::notify(const channels::notice_ptr& n) noexcept {
    // Before its announcement a channel has no place in the stream yet: it gets the count then.
    if (ending() || reading_history() || !state_.find(n->channel)) return;
    const auto& f = transport() == channels::transport::sse ? n->sse : n->ws;
    if (outbox_.total_bytes() + f->size() > outbox_.max_bytes()) {
        svc_.metrics.occupancy_skipped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    outbox_.push(f);
    request_flush();
}

// ---- replay and live delivery -----------------------------------------------------------------

void stream_session::pump_replay() {
    // Paced by the outbox: as much as the rule in resume_state allows is queued, the rest when a
    // write completes (flush() calls back here).
    bool progressed = false;
    while (!ending()) {
        auto step = state_.next_replay(outbox_.total_bytes(), outbox_.empty() && !outbox_.writing(), outbox_.max_bytes());
        if (step.what == stream::replay_step::idle) break;
        if (step.what == stream::replay_step::wait) {
            request_flush();
            return;
        }
        progressed = true;
        if (step.what == stream::replay_step::send) {
            outbox_.push_unchecked(replay_frame(*step.channel, *step.event));
            svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        for (const auto& ev : step.held) {  // caught up: what arrived meanwhile, through the live rule
            if (ending()) return;
            deliver_live(*step.channel, ev);
        }
    }
    if (progressed && !ending()) {
        replay_done();
        request_flush();
    }
}

void stream_session::deliver(const channels::encoded_event_ptr& ev) noexcept {
    if (ending()) return;
    auto a = state_.on_live(ev);
    switch (a.what) {
        case stream::arrival::unknown_channel:
        case stream::arrival::held:
            return;
        case stream::arrival::overflow:
            slow_consumer("too many live events held during replay");
            return;
        case stream::arrival::live:
            deliver_live(*a.channel, ev);
            request_flush();
            return;
    }
}

void stream_session::deliver_live(stream::channel_state& c, const channels::encoded_event_ptr& p) {
    // The position moves only with what was queued, so a goodbye after an overflow tells the truth.
    const auto& enc = *p;
    const auto& ev = enc.event();
    switch (stream::resume_state::check_live(c, ev)) {
        case stream::live_step::skip:
            return;
        case stream::live_step::reset: {
            if (c.waiting) {  // the old epoch's backlog is moot: the reset tells the client to start over
                c.waiting.reset();
                --backlogged_;
            }
            svc_.metrics.resets_sent.fetch_add(1, std::memory_order_relaxed);
            auto old_epoch = std::move(c.epoch);
            const auto old_offset = c.offset;
            stream::resume_state::move_to_epoch(c, ev);
            if (!push(reset_frame(c, "epoch_changed"))) {
                c.epoch = std::move(old_epoch);  // a resume from the goodbye's position meets the reset
                c.offset = old_offset;
                return;
            }
            break;
        }
        case stream::live_step::deliver:
            if (c.slow_rule && (c.waiting || !fits(ev, stream::defer_above(*c.slow_rule, outbox_.max_bytes())))) {
                defer(c, p);
                return;
            }
            break;
    }
    const auto before = c.offset;
    stream::resume_state::advance(c, ev);
    if (push_live(c, enc))
        svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
    else
        c.offset = before;
}

// ---- output -----------------------------------------------------------------------------------

bool stream_session::push(channels::frame f) {
    if (ending()) return false;
    if (outbox_.push(std::move(f))) return true;
    slow_consumer("outbox over " + std::to_string(outbox_.max_bytes()) + " bytes");
    return false;
}

bool stream_session::push_pair(channels::frame a, channels::frame b) {
    if (ending()) return false;
    if (outbox_.total_bytes() + a->size() + b->size() > outbox_.max_bytes()) {
        slow_consumer("outbox over " + std::to_string(outbox_.max_bytes()) + " bytes");
        return false;
    }
    return push(std::move(a)) && push(std::move(b));
}

void stream_session::slow_consumer(std::string_view what) {
    // The client is not reading: say so after what is already queued (its positions stay true),
    // and close if that is not written within the grace period. It resumes from its position.
    svc_.metrics.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    svc_.log.warn("{} conn={} slow consumer: {}, ending with {}", label(), id_, what, model::disconnects::slow_consumer.code);
    end_politely(model::disconnects::slow_consumer);
}

void stream_session::request_flush() {
    if (flush_requested_ || closed_) return;
    flush_requested_ = true;
    home_.request_flush(shared_from_this());
}

void stream_session::flush() {
    flush_requested_ = false;
    if (closed_) return;
    if (goodbye_ && !goodbye_->queued) queue_goodbye();
    if (backlogged_ > 0 && outbox_.empty() && !outbox_.writing()) pump_backlogs();
    if (outbox_.writing() || outbox_.empty()) return;  // nothing to start: no refcount traffic
    last_write_ms_ = home_.coarse_now();
    gather_write(socket_, outbox_, home_.write_slots(), slot_,
                 [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                     if (self->closed_) return;
                     if (ec) {
                         self->close_now("write failed");
                         return;
                     }
                     self->svc_.metrics.shard(self->home_.index()).bytes_out.fetch_add(bytes, std::memory_order_relaxed);
                     self->pump_replay();    // returns at once unless a replay is being paced
                     self->pump_backlogs();  // returns at once unless a slow consumer is being kept
                     if (!self->outbox_.empty() || (self->goodbye_ && !self->goodbye_->queued))
                         self->flush();
                     else if (self->goodbye_)
                         self->close_now("goodbye written");
                 });
}

void stream_session::queue_goodbye() {
    // A goodbye is small and bounded: it goes past the outbox cap, so a slow consumer learns why.
    outbox_.push_unchecked(goodbye_frame(goodbye_->why, goodbye_->detail));
    goodbye_->queued = true;
}

// ---- time -------------------------------------------------------------------------------------

void stream_session::tick(std::int64_t now_ms) {
    if (closed_) return;
    if (goodbye_) {
        if (now_ms >= goodbye_->deadline_ms) close_now("goodbye not written in time");
        return;
    }
    switch (expiry_.poll(home_.coarse_wall())) {
        case auth::expiry_watch::step::notice: {
            const auto exp = *expiry_.exp();
            push(expiring_frame(exp, std::max<std::int64_t>(0, exp - home_.coarse_wall())));
            request_flush();
            break;
        }
        case auth::expiry_watch::step::expired:
            svc_.metrics.tokens_expired.fetch_add(1, std::memory_order_relaxed);
            svc_.log.debug("{} conn={} token of user '{}' expired, ending the stream", label(), id_, user_);
            end_politely(model::disconnects::token_expired);
            return;
        case auth::expiry_watch::step::none:
            break;
    }
    if (groups_reading_ > 0 && now_ms - reads_started_ms_ >= svc_.cfg().limits.request_timeout_ms) {
        svc_.log.warn("{} conn={} history not read within {} ms, ending the stream (it resumes)", label(), id_,
                      svc_.cfg().limits.request_timeout_ms);
        end_politely(model::disconnects::broker_unavailable);
        return;
    }
    heartbeat(now_ms);
}

// ---- input ------------------------------------------------------------------------------------

void stream_session::wait_readable() {
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       asio::bind_allocator(exact_allocator<void>{}, [self = shared_from_this()](boost::system::error_code ec) {
                           self->on_readable(ec);
                       }));
}

void stream_session::on_readable(boost::system::error_code ec) {
    if (closed_) return;
    if (ec) {
        close_now("read failed");
        return;
    }
    auto& buf = home_.read_buffer();  // the shard's: an idle stream holds no read buffer
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(buf), rec);
    if (rec == asio::error::would_block) {
        wait_readable();
        return;
    }
    if (rec || n == 0) {
        close_now("client closed");
        return;
    }
    last_read_ms_ = home_.coarse_now();
    if (!goodbye_) on_input(std::string_view(buf.data(), n));  // once ending, input no longer matters
    if (!closed_) wait_readable();
}

// ---- ends -------------------------------------------------------------------------------------

void stream_session::end_politely(const model::disconnect& d, std::string_view detail) {
    if (closed_) return;
    if (goodbye_) {
        close_now(d.name);
        return;
    }
    svc_.log.debug("{} conn={} ending with {} ({})", label(), id_, d.code, detail.empty() ? d.reason : detail);
    goodbye_ = std::make_unique<goodbye>(goodbye{d, std::string(detail), home_.coarse_now() + goodbye_grace_ms, false});
    request_flush();
}

void stream_session::shutdown() {
    if (ending()) return;  // a goodbye in flight ends the stream once written
    end_politely(model::disconnects::shutdown);
}

bool stream_session::end_for_user(std::string_view user, const model::disconnect& why) {
    if (closed_ || user_.empty() || user_ != user) return false;
    end_politely(why);
    return true;
}

void stream_session::close_now(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    for (const auto& c : state_.channels()) {
        svc_.node.hub().remove(home_.index(), c.channel, this);
        svc_.presence.channel_left(c.channel);
    }
    state_.channels().clear();
    set_user({});
    svc_.log.debug("{} conn={} closed: {}", label(), id_, why);
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    svc_.metrics.connection_closed(origin_.listener == listener_kind::internal_listener);
    home_.remove(shared_from_this());
}

std::optional<connection_description> stream_session::describe() const {
    connection_description d;
    d.id = id_;
    d.transport = label();
    if (!user_.empty()) d.user = user_;
    for (const auto& c : state_.channels()) d.channels.push_back(c.channel);
    std::sort(d.channels.begin(), d.channels.end());
    d.origin = origin_;
    d.outbox_bytes = outbox_.total_bytes();
    return d;
}

}  // namespace herald::sidecar
