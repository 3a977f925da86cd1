// Bounded per-channel history: keeps at most `max_count` events, at most `max_bytes` of them
// (each event costs its data size plus event_overhead, so empty events count too), none older
// than `max_age_ms`. The oldest go first.
// Not thread-safe: the broker guards each ring with its channel lock.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "lib/model/event.hpp"

namespace herald::history {

class history_ring {
public:
    // What one event costs against max_bytes on top of its data (the same rule in Redis).
    static constexpr std::size_t event_overhead = 64;
    static std::size_t cost(const model::event& ev) { return ev.data.size() + event_overhead; }

    // max_bytes == 0: no byte bound.
    history_ring(std::size_t max_count, std::int64_t max_age_ms, std::size_t max_bytes = 0)
        : max_count_(max_count), max_age_ms_(max_age_ms), max_bytes_(max_bytes) {}

    // New bounds (a channel's policy changed): count and bytes apply at once, age at the next
    // evict_expired.
    void set_limits(std::size_t max_count, std::int64_t max_age_ms, std::size_t max_bytes);
    // Appends an event; offsets must grow. Evicts by count and bytes at once (an event larger than
    // max_bytes on its own is not kept).
    void append(model::event_ptr ev);
    // Drops events published at or before now_ms - max_age_ms.
    void evict_expired(std::int64_t now_ms);
    // Events with offset > after, oldest first, at most `limit`.
    std::vector<model::event_ptr> since(std::uint64_t after, std::size_t limit) const;

    // Lowest offset held, or 0 when empty.
    std::uint64_t first_offset() const { return events_.empty() ? 0 : events_.front()->offset; }
    std::size_t size() const { return events_.size(); }
    bool empty() const { return events_.empty(); }
    // What the held events cost against max_bytes.
    std::size_t bytes() const { return bytes_; }

private:
    void pop_front();

    std::size_t max_count_;
    std::int64_t max_age_ms_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::deque<model::event_ptr> events_;
};

}  // namespace herald::history
