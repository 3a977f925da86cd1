// Bounded per-channel history: keeps at most `max_count` events no older than `max_age_ms`.
// Not thread-safe: the broker guards each ring with its channel lock.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "lib/model/event.hpp"

namespace herald::history {

class history_ring {
public:
    history_ring(std::size_t max_count, std::int64_t max_age_ms) : max_count_(max_count), max_age_ms_(max_age_ms) {}

    // Appends an event; offsets must grow. Evicts by count at once.
    void append(model::event_ptr ev);
    // Drops events published at or before now_ms - max_age_ms.
    void evict_expired(std::int64_t now_ms);
    // Events with offset > after, oldest first, at most `limit`.
    std::vector<model::event_ptr> since(std::uint64_t after, std::size_t limit) const;

    // Lowest offset held, or 0 when empty.
    std::uint64_t first_offset() const { return events_.empty() ? 0 : events_.front()->offset; }
    std::size_t size() const { return events_.size(); }
    bool empty() const { return events_.empty(); }

private:
    std::size_t max_count_;
    std::int64_t max_age_ms_;
    std::deque<model::event_ptr> events_;
};

}  // namespace herald::history
