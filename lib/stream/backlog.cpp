// Slow-consumer backlog: conflation by key, or dropping the oldest with one gap per run dropped.
#include "lib/stream/backlog.hpp"

#include "lib/stream/resume_state.hpp"

#include <algorithm>

namespace herald::stream {

std::size_t defer_above(backlog_rule rule, std::size_t outbox_max) {
    return rule == backlog_rule::conflate ? std::min<std::size_t>(64 * 1024, outbox_max / 4) : outbox_max;
}

std::size_t drain_up_to(backlog_rule rule, std::size_t outbox_max) {
    return rule == backlog_rule::conflate ? defer_above(rule, outbox_max) : outbox_max / 2;
}

std::size_t backlog_bound(backlog_rule rule, std::size_t outbox_max) {
    return rule == backlog_rule::conflate ? 4 * outbox_max : outbox_max;
}

void backlog::push(channels::encoded_event_ptr ev) {
    const auto& e = ev->event();
    if (rule_ == backlog_rule::conflate && !e.key.empty()) {
        if (auto it = by_key_.find(e.key); it != by_key_.end()) {
            bytes_ -= event_cost((*it->second)->event());
            events_.erase(it->second);
            by_key_.erase(it);
            ++replaced_;
        }
        bytes_ += event_cost(e);
        events_.push_back(std::move(ev));
        by_key_.emplace(events_.back()->event().key, std::prev(events_.end()));
        return;
    }
    bytes_ += event_cost(e);
    events_.push_back(std::move(ev));
    if (rule_ != backlog_rule::drop_oldest) return;
    while (bytes_ > max_bytes_ && !events_.empty()) {
        const auto offset = events_.front()->event().offset;
        if (gap_)
            gap_->last = offset;
        else
            gap_ = gap{offset, offset};
        ++dropped_;
        pop();
    }
}

void backlog::pop() {
    const auto& e = events_.front()->event();
    bytes_ -= event_cost(e);
    if (rule_ == backlog_rule::conflate && !e.key.empty()) by_key_.erase(e.key);
    events_.pop_front();
}

}  // namespace herald::stream
