// History ring: a deque trimmed from the front by count, bytes and age; a running byte total.
#include "lib/history/history_ring.hpp"

#include <algorithm>

namespace herald::history {

void history_ring::pop_front() {
    bytes_ -= cost(*events_.front());
    events_.pop_front();
}

void history_ring::append(model::event_ptr ev) {
    if (max_count_ == 0) return;
    bytes_ += cost(*ev);
    events_.push_back(std::move(ev));
    while (events_.size() > max_count_) pop_front();
    if (max_bytes_ > 0)
        while (!events_.empty() && bytes_ > max_bytes_) pop_front();
}

void history_ring::set_limits(std::size_t max_count, std::int64_t max_age_ms, std::size_t max_bytes) {
    max_count_ = max_count;
    max_age_ms_ = max_age_ms;
    max_bytes_ = max_bytes;
    while (events_.size() > max_count_) pop_front();
    if (max_bytes_ > 0)
        while (!events_.empty() && bytes_ > max_bytes_) pop_front();
}

void history_ring::evict_expired(std::int64_t now_ms) {
    if (max_age_ms_ <= 0) return;
    while (!events_.empty() && events_.front()->published_at <= now_ms - max_age_ms_) pop_front();
}

std::vector<model::event_ptr> history_ring::since(std::uint64_t after, std::size_t limit) const {
    auto it = std::upper_bound(events_.begin(), events_.end(), after,
                               [](std::uint64_t off, const model::event_ptr& e) { return off < e->offset; });
    std::vector<model::event_ptr> out;
    for (; it != events_.end() && out.size() < limit; ++it) out.push_back(*it);
    return out;
}

}  // namespace herald::history
