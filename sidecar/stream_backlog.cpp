// stream_session's slow-consumer backlogs: a channel whose policy keeps a slow reader
// (slow_consumer conflate or drop_oldest) queues the live events its outbox has no room for in a
// lib/stream/backlog, and they (and herald.gap for what was dropped) move into the outbox as it
// drains, paced like replay. Same thread as the rest of the session: its shard's.
#include <utility>

#include "lib/stream/backlog.hpp"
#include "sidecar/stream_session.hpp"

namespace herald::sidecar {

bool stream_session::fits(const model::event& ev, std::size_t limit) const {
    // The event's frames: its cost, plus an SSE id line of up to 256 bytes.
    return outbox_.total_bytes() + stream::event_cost(ev) + 256 <= limit;
}

void stream_session::defer(stream::channel_state& c, const channels::encoded_event_ptr& ev) {
    if (!c.waiting) {
        c.waiting = std::make_unique<stream::backlog>(*c.slow_rule, stream::backlog_bound(*c.slow_rule, outbox_.max_bytes()));
        ++backlogged_;
        if (!std::exchange(backlog_logged_, true))
            svc_.log.info("{} conn={} slow consumer on '{}': outbox over {} bytes, {} instead of disconnecting", label(),
                          id_, c.channel, stream::defer_above(*c.slow_rule, outbox_.max_bytes()),
                          *c.slow_rule == stream::backlog_rule::conflate ? "keeping the newest event per key"
                                                                         : "dropping the oldest events");
    }
    auto& b = *c.waiting;
    const auto replaced = b.replaced(), dropped = b.dropped();
    b.push(ev);
    svc_.metrics.slow_consumer_replaced.fetch_add(b.replaced() - replaced, std::memory_order_relaxed);
    svc_.metrics.slow_consumer_dropped.fetch_add(b.dropped() - dropped, std::memory_order_relaxed);
    if (b.over())
        slow_consumer("more keys waiting than " +
                      std::to_string(stream::backlog_bound(*c.slow_rule, outbox_.max_bytes())) + " bytes hold");
}

void stream_session::pump_backlogs() {
    // Paced like replay: backlogged events fill the outbox up to drain_up_to (one at a time when
    // it is idle), so the other channels' live events keep room and conflated values stay fresh.
    if (backlogged_ == 0) return;
    bool progressed = false;
    for (auto& c : state_.channels()) {
        if (!c.waiting || !c.live()) continue;
        auto& b = *c.waiting;
        while (!b.empty() && !ending()) {
            const bool idle = outbox_.empty() && !outbox_.writing();
            if (const auto& g = b.pending_gap()) {
                const auto first = g->first, last = g->last;
                c.offset = last;  // the position moves past what was dropped, and the gap says so
                b.take_gap();
                outbox_.push_unchecked(gap_frame(c, first, last));
                svc_.metrics.gaps_sent.fetch_add(1, std::memory_order_relaxed);
                progressed = true;
                continue;
            }
            if (!idle && !fits(b.front()->event(), stream::drain_up_to(*c.slow_rule, outbox_.max_bytes()))) break;
            auto ev = b.front();
            b.pop();
            const auto before = c.offset;
            stream::resume_state::advance(c, ev->event());
            if (!push_live(c, *ev)) {
                c.offset = before;
                return;
            }
            svc_.metrics.shard(home_.index()).deliveries.fetch_add(1, std::memory_order_relaxed);
            progressed = true;
        }
        if (b.empty()) {
            c.waiting.reset();
            --backlogged_;
        }
    }
    if (progressed) request_flush();
}

}  // namespace herald::sidecar
