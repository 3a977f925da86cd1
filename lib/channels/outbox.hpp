// A connection's bounded queue of frames waiting to be written.
// Bytes queued plus bytes in flight never pass `max_bytes`: push() refuses instead, and the
// owner treats that as a slow consumer. Single-threaded: used only on the owning session's thread.
#pragma once

#include <cstddef>
#include <vector>

#include "lib/channels/encoded_event.hpp"

namespace herald::channels {

class outbox {
public:
    explicit outbox(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    // Queues `f`; false (nothing queued) when it would pass the cap.
    bool push(frame f);
    // Queue capacity (frames) kept once a write leaves the queue empty; more is given back.
    static constexpr std::size_t kept_capacity = 4;

    // Moves every queued frame into `batch` (which must be empty) for one gather write.
    // Returns the bytes moved; they count as in flight until write_done().
    std::size_t take(std::vector<frame>& batch);
    // Queues a small control frame past the cap (a close frame after an overflow).
    void push_unchecked(frame f);
    void write_done(std::vector<frame>& batch);

    bool empty() const { return queue_.empty(); }
    bool writing() const { return in_flight_ > 0; }
    std::size_t queued_bytes() const { return queued_; }
    std::size_t total_bytes() const { return queued_ + in_flight_; }
    std::size_t max_bytes() const { return max_bytes_; }
    // Frames the queue can hold without allocating (what an idle stream keeps).
    std::size_t queue_capacity() const { return queue_.capacity(); }

private:
    std::size_t max_bytes_;
    std::size_t queued_ = 0;
    std::size_t in_flight_ = 0;
    std::vector<frame> queue_;
};

}  // namespace herald::channels
