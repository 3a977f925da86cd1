// One webhook endpoint's delivery queue (see the header): batches, retries, overflow, give-up.
// Pure logic, one thread at a time.
#include "lib/presence/webhook_queue.hpp"

#include <algorithm>
#include <utility>

namespace herald::presence {

webhook_queue::webhook_queue(webhook_queue_options options, sequence_source next_seq, jitter_source jitter,
                             wall_clock unix_ms)
    : options_(std::move(options)),
      next_seq_(std::move(next_seq)),
      jitter_(std::move(jitter)),
      unix_ms_(std::move(unix_ms)) {
    options_.capacity = std::max<std::size_t>(options_.capacity, 1);
    options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
    options_.retry_min_ms = std::max<std::int64_t>(options_.retry_min_ms, 1);
    options_.retry_max_ms = std::max(options_.retry_max_ms, options_.retry_min_ms);
    options_.give_up_ms = std::max<std::int64_t>(options_.give_up_ms, 0);
}

push_outcome webhook_queue::push(lifecycle_event item) {
    newest_position_ = std::max(newest_position_, item.position);
    if (items_.size() >= options_.capacity) {
        ++counts_.dropped;  // the arriving item
        replace_with_resync("queue_overflow");
        return push_outcome::overflowed;
    }
    items_.push_back(std::move(item));
    return push_outcome::queued;
}

std::vector<lifecycle_event> webhook_queue::take(std::int64_t now_ms) {
    if (in_flight() || items_.empty() || now_ms < next_attempt_ms_) return {};
    std::size_t n = std::min(items_.size(), options_.batch_size);
    if (retry_size_ > 0) {
        n = std::min(retry_size_, items_.size());
        ++counts_.retries;
    }
    in_flight_ = n;
    return {items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(n)};
}

void webhook_queue::delivered(std::int64_t) {
    if (!in_flight()) return;
    if (!in_flight_orphaned_ && in_flight_ > 0) {
        for (std::size_t i = 0; i < in_flight_; ++i)
            last_delivered_position_ = std::max(last_delivered_position_, items_[i].position);
        last_delivered_id_ = items_[in_flight_ - 1].id();
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
        counts_.sent += in_flight_;
    }
    in_flight_ = 0;
    in_flight_orphaned_ = false;
    retry_size_ = 0;
    streak_failures_ = 0;
    streak_start_ms_ = 0;
    next_attempt_ms_ = 0;
}

failure_outcome webhook_queue::failed(std::int64_t now_ms) {
    if (!in_flight()) return failure_outcome::will_retry;
    ++counts_.failures;
    retry_size_ = in_flight_orphaned_ ? 0 : in_flight_;
    in_flight_ = 0;
    in_flight_orphaned_ = false;
    if (streak_failures_++ == 0) streak_start_ms_ = now_ms;
    auto outcome = failure_outcome::will_retry;
    if (now_ms - streak_start_ms_ > options_.give_up_ms) {
        // A lone resync already stands for everything lost: keep it (same id), keep retrying it.
        const bool lone_resync = items_.size() == 1 && items_.front().type == "resync";
        if (!lone_resync) {
            replace_with_resync("unreachable");
            outcome = failure_outcome::gave_up;
        }
        // The next give-up is give_up_ms from now; the backoff keeps its length.
        streak_start_ms_ = now_ms;
    }
    next_attempt_ms_ = now_ms + backoff_ms(streak_failures_);
    return outcome;
}

void webhook_queue::replace_with_resync(const std::string& reason) {
    counts_.dropped += items_.size();
    items_.clear();
    if (in_flight_ > 0) {
        in_flight_orphaned_ = true;  // its outcome must not remove the resync
        in_flight_ = 0;
    }
    retry_size_ = 0;
    lifecycle_event resync;
    resync.type = "resync";
    resync.reason = reason;
    resync.position = newest_position_;
    resync.node = options_.node;
    resync.node_seq = next_seq_();
    resync.at_ms = unix_ms_ ? unix_ms_() : 0;
    items_.push_back(std::move(resync));
    ++counts_.resyncs;
}

std::int64_t webhook_queue::backoff_ms(std::uint64_t failures) {
    std::int64_t delay = options_.retry_min_ms;
    for (std::uint64_t i = 1; i < failures && delay < options_.retry_max_ms; ++i) delay *= 2;
    delay = std::min(delay, options_.retry_max_ms);
    const double r = std::clamp(jitter_ ? jitter_() : 0.0, 0.0, 1.0);
    return delay - static_cast<std::int64_t>(r * static_cast<double>(delay) / 4);
}

}  // namespace herald::presence
