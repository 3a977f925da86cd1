// One webhook endpoint's delivery queue: what to POST next, when to retry, and what to do when the
// app cannot keep up or cannot be reached. Pure logic: no I/O, no clock reads (every call gets
// `now_ms`, a monotonic time in ms; the wall clock for a resync's `at` and the randomness are
// injected); one thread at a time (the sender's).
//
// - Items wait in order, at most `capacity` of them. take() hands out a batch of the oldest
//   `batch_size` at most; one batch is in flight at a time. delivered() removes it; failed()
//   keeps it, and the next take() (after the backoff) hands out exactly the same items again.
// - Backoff after the n-th failure in a row: retry_min_ms * 2^(n-1), at most retry_max_ms, minus
//   up to a quarter of it by jitter (so endpoints failing together do not retry together).
// - Overflow: an item arriving at a full queue drops the whole queue (the arriving item too) and
//   leaves ONE resync item (reason "queue_overflow").
// - Give-up: a failure more than give_up_ms after the first failure of the streak drops the queue
//   and leaves ONE resync item (reason "unreachable"), retried like any item until delivered.
// A resync takes its node_seq from the node's shared sequence and carries the newest position the
// queue has seen, so the app rebuilds from GET /v1/presence and applies what comes after it.
// Never more than one resync waits: making one drops everything else that waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "lib/presence/lifecycle_event.hpp"

namespace herald::presence {

struct webhook_queue_options {
    std::size_t capacity = 10000;  // items waiting, the in-flight batch included (at least 1)
    std::size_t batch_size = 100;  // items per POST (at least 1)
    std::int64_t retry_min_ms = 500;
    std::int64_t retry_max_ms = 30000;
    std::int64_t give_up_ms = 60000;
    std::string node;  // the node id resync items carry
};

// Totals since construction, for metrics.
struct webhook_queue_counts {
    std::uint64_t sent = 0;      // items in delivered batches (resyncs included)
    std::uint64_t retries = 0;   // batches handed out again after a failure
    std::uint64_t failures = 0;  // failed attempts
    std::uint64_t resyncs = 0;   // resync items made (overflow + give-up)
    std::uint64_t dropped = 0;   // items dropped by overflow or give-up
};

enum class push_outcome { queued, overflowed };
enum class failure_outcome {
    will_retry,  // the batch waits for next_attempt_ms()
    gave_up,     // failing past give_up_ms: the queue is now one resync, retried at next_attempt_ms()
};

class webhook_queue {
public:
    using sequence_source = std::function<std::uint64_t()>;  // the node's next node_seq
    using jitter_source = std::function<double()>;           // uniform in [0, 1)
    using wall_clock = std::function<std::int64_t()>;        // ms since the Unix epoch, for `at`

    webhook_queue(webhook_queue_options options, sequence_source next_seq, jitter_source jitter, wall_clock unix_ms);

    push_outcome push(lifecycle_event item);
    // The batch to POST now, or empty: nothing waits, a batch is in flight, or in backoff.
    std::vector<lifecycle_event> take(std::int64_t now_ms);
    // The outcome of the in-flight batch.
    void delivered(std::int64_t now_ms);
    failure_outcome failed(std::int64_t now_ms);

    bool in_flight() const { return in_flight_ > 0 || in_flight_orphaned_; }
    // When take() may hand out a batch again (<= now: at once).
    std::int64_t next_attempt_ms() const { return next_attempt_ms_; }
    std::size_t depth() const { return items_.size(); }
    // Failed attempts in the current streak (0: the last attempt succeeded or none was made).
    std::uint64_t failing_attempts() const { return streak_failures_; }
    std::int64_t failing_since_ms() const { return streak_start_ms_; }
    const webhook_queue_counts& counts() const { return counts_; }
    // The newest position among the items the app acknowledged (0: none yet), and the id of the
    // last acknowledged item (empty: none yet).
    std::uint64_t last_delivered_position() const { return last_delivered_position_; }
    const std::string& last_delivered_id() const { return last_delivered_id_; }

private:
    void replace_with_resync(const std::string& reason);
    std::int64_t backoff_ms(std::uint64_t failures);

    webhook_queue_options options_;
    sequence_source next_seq_;
    jitter_source jitter_;
    wall_clock unix_ms_;
    std::deque<lifecycle_event> items_;
    std::size_t in_flight_ = 0;        // the first in_flight_ items are being POSTed
    bool in_flight_orphaned_ = false;  // the in-flight batch was dropped; its outcome changes nothing
    std::size_t retry_size_ = 0;       // a failed batch's size: the next take() hands out the same items
    std::uint64_t newest_position_ = 0;
    std::int64_t next_attempt_ms_ = 0;
    std::uint64_t streak_failures_ = 0;
    std::int64_t streak_start_ms_ = 0;
    webhook_queue_counts counts_;
    std::uint64_t last_delivered_position_ = 0;
    std::string last_delivered_id_;
};

}  // namespace herald::presence
