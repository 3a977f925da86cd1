// presence/webhook_queue: batching in order, one batch in flight, a failed batch retried with the
// same items, the backoff sequence with injected jitter, overflow and give-up each leaving one
// resync (node_seq from the shared sequence, newest position), never two resyncs, and the counts.
#include "lib/presence/webhook_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace herald::presence {
namespace {

struct fixture {
    std::uint64_t seq = 100;  // the node's shared sequence: resyncs take 101, 102, ...
    double jitter = 0.0;
    std::int64_t wall_ms = 1733500000000;  // the resync's `at`
    webhook_queue q;
    explicit fixture(webhook_queue_options o)
        : q(with_node(std::move(o)), [this] { return ++seq; }, [this] { return jitter; },
            [this] { return wall_ms; }) {}
    static webhook_queue_options with_node(webhook_queue_options o) {
        o.node = "n1";
        return o;
    }
};

webhook_queue_options opts(std::size_t capacity, std::size_t batch) {
    webhook_queue_options o;
    o.capacity = capacity;
    o.batch_size = batch;
    o.retry_min_ms = 100;
    o.retry_max_ms = 1000;
    o.give_up_ms = 5000;
    return o;
}

lifecycle_event ev(std::uint64_t seq, std::uint64_t position = 0) {
    lifecycle_event e;
    e.type = "user.online";
    e.subject = "u" + std::to_string(seq);
    e.node = "n1";
    e.node_seq = seq;
    e.position = position ? position : seq;
    return e;
}

std::vector<std::uint64_t> seqs(const std::vector<lifecycle_event>& batch) {
    std::vector<std::uint64_t> out;
    for (const auto& e : batch) out.push_back(e.node_seq);
    return out;
}

TEST(WebhookQueue, BatchesInOrderOneInFlight) {
    fixture f(opts(100, 2));
    for (std::uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(f.q.push(ev(i)), push_outcome::queued);
    EXPECT_EQ(f.q.depth(), 5u);
    auto b = f.q.take(0);
    EXPECT_EQ(seqs(b), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_TRUE(f.q.take(0).empty()) << "a second batch while one is in flight";
    f.q.delivered(1);
    EXPECT_EQ(f.q.depth(), 3u);
    EXPECT_EQ(seqs(f.q.take(1)), (std::vector<std::uint64_t>{3, 4}));
    f.q.delivered(2);
    EXPECT_EQ(seqs(f.q.take(2)), (std::vector<std::uint64_t>{5}));
    f.q.delivered(3);
    EXPECT_TRUE(f.q.take(3).empty());
    EXPECT_EQ(f.q.depth(), 0u);
    EXPECT_EQ(f.q.counts().sent, 5u);
    EXPECT_EQ(f.q.counts().retries, 0u);
    EXPECT_EQ(f.q.last_delivered_position(), 5u);
    EXPECT_EQ(f.q.last_delivered_id(), "n1-5");
}

TEST(WebhookQueue, FailedBatchIsRetriedWithTheSameItemsAfterBackoff) {
    fixture f(opts(100, 2));
    f.q.push(ev(1));
    EXPECT_EQ(seqs(f.q.take(0)), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(f.q.last_delivered_id(), "");
    f.q.push(ev(2));
    f.q.push(ev(3));
    EXPECT_EQ(f.q.failed(10), failure_outcome::will_retry);
    EXPECT_EQ(f.q.next_attempt_ms(), 110);
    EXPECT_TRUE(f.q.take(109).empty()) << "retried before the backoff ended";
    auto again = f.q.take(110);
    EXPECT_EQ(seqs(again), (std::vector<std::uint64_t>{1})) << "the retry must carry exactly the failed items";
    f.q.delivered(120);
    EXPECT_EQ(seqs(f.q.take(120)), (std::vector<std::uint64_t>{2, 3}));
    EXPECT_EQ(f.q.counts().retries, 1u);
    EXPECT_EQ(f.q.counts().failures, 1u);
    EXPECT_EQ(f.q.last_delivered_id(), "n1-1");
}

TEST(WebhookQueue, BackoffDoublesUpToTheMaximumWithJitter) {
    fixture f(opts(100, 10));
    f.q.push(ev(1));
    std::int64_t now = 0;
    std::vector<std::int64_t> delays;
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(f.q.take(now).size(), 1u);
        f.q.failed(now);
        delays.push_back(f.q.next_attempt_ms() - now);
        now = f.q.next_attempt_ms();
    }
    EXPECT_EQ(delays, (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000}));
    f.jitter = 0.5;  // takes an eighth off
    f.q.take(now);
    f.q.failed(now);
    EXPECT_EQ(f.q.next_attempt_ms() - now, 875);
    // Success resets the streak: the next failure waits retry_min again.
    now = f.q.next_attempt_ms();
    f.q.take(now);
    f.q.delivered(now);
    EXPECT_EQ(f.q.failing_attempts(), 0u);
    f.jitter = 0;
    f.q.push(ev(2));
    f.q.take(now);
    f.q.failed(now);
    EXPECT_EQ(f.q.next_attempt_ms() - now, 100);
}

TEST(WebhookQueue, OverflowLeavesOneResyncWithNewestPositionThenNewItems) {
    fixture f(opts(3, 10));
    f.q.push(ev(1, 10));
    f.q.push(ev(2, 11));
    f.q.push(ev(3, 12));
    EXPECT_EQ(f.q.push(ev(4, 13)), push_outcome::overflowed);
    EXPECT_EQ(f.q.depth(), 1u);
    f.q.push(ev(5, 14));
    auto b = f.q.take(6);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].type, "resync");
    EXPECT_EQ(b[0].reason, "queue_overflow");
    EXPECT_EQ(b[0].position, 13u) << "the newest position seen, the dropped item's included";
    EXPECT_EQ(b[0].node_seq, 101u);
    EXPECT_EQ(b[0].node, "n1");
    EXPECT_EQ(b[0].id(), "n1-101");
    EXPECT_EQ(b[0].at_ms, 1733500000000) << "wall-clock ms, not the monotonic now";
    EXPECT_TRUE(b[0].subject.empty());
    EXPECT_EQ(b[1].node_seq, 5u);
    EXPECT_EQ(f.q.counts().resyncs, 1u);
    EXPECT_EQ(f.q.counts().dropped, 4u);
}

TEST(WebhookQueue, RepeatedOverflowNeverLeavesTwoResyncs) {
    fixture f(opts(2, 10));
    for (std::uint64_t i = 1; i <= 20; ++i) f.q.push(ev(i));
    auto b = f.q.take(0);
    int resyncs = 0;
    for (const auto& e : b) resyncs += e.type == "resync";
    EXPECT_EQ(resyncs, 1);
    EXPECT_LE(f.q.depth(), 2u);
}

TEST(WebhookQueue, OverflowDuringAFlightDoesNotLetItsOutcomeRemoveTheResync) {
    fixture f(opts(2, 10));
    f.q.push(ev(1));
    f.q.push(ev(2));
    ASSERT_EQ(f.q.take(0).size(), 2u);
    f.q.push(ev(3));  // overflow while 1, 2 are being POSTed
    EXPECT_TRUE(f.q.take(1).empty()) << "still one POST at a time";
    f.q.delivered(2);
    auto b = f.q.take(2);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].type, "resync");
    EXPECT_EQ(f.q.counts().sent, 0u) << "the orphaned batch's items were already counted as dropped";
}

TEST(WebhookQueue, GiveUpAfterTheLimitLeavesOneUnreachableResyncRetriedUntilDelivered) {
    auto o = opts(100, 10);
    o.give_up_ms = 1000;
    fixture f(o);
    for (std::uint64_t i = 1; i <= 3; ++i) f.q.push(ev(i, 20 + i));
    std::int64_t now = 0;
    f.q.take(now);
    EXPECT_EQ(f.q.failed(now), failure_outcome::will_retry);
    EXPECT_EQ(f.q.failing_since_ms(), 0);
    now = 1000;  // exactly the limit: not past it
    ASSERT_EQ(f.q.take(now).size(), 3u);
    EXPECT_EQ(f.q.failed(now), failure_outcome::will_retry);
    now = f.q.next_attempt_ms();  // 1200: past the limit
    ASSERT_EQ(f.q.take(now).size(), 3u);
    EXPECT_EQ(f.q.failed(now), failure_outcome::gave_up);
    EXPECT_EQ(f.q.depth(), 1u);
    // Retried like anything else, keeping its id, and never replaced by another resync.
    for (int i = 0; i < 5; ++i) {
        now = f.q.next_attempt_ms() + 2000;
        auto b = f.q.take(now);
        ASSERT_EQ(b.size(), 1u);
        EXPECT_EQ(b[0].type, "resync");
        EXPECT_EQ(b[0].reason, "unreachable");
        EXPECT_EQ(b[0].node_seq, 101u);
        EXPECT_EQ(b[0].position, 23u);
        f.q.failed(now);
    }
    f.q.push(ev(4, 24));
    now = f.q.next_attempt_ms();
    EXPECT_EQ(f.q.take(now).size(), 1u) << "the retry carries the failed batch only";
    f.q.delivered(now);
    EXPECT_EQ(seqs(f.q.take(now)), (std::vector<std::uint64_t>{4}));
    f.q.delivered(now);
    EXPECT_EQ(f.q.depth(), 0u);
    EXPECT_EQ(f.q.counts().resyncs, 1u);
    EXPECT_EQ(f.q.counts().sent, 2u);
    EXPECT_EQ(f.q.counts().dropped, 3u);
}

TEST(WebhookQueue, ItemsBehindAnUnreachableResyncAreDroppedAtTheNextGiveUp) {
    auto o = opts(100, 1);
    o.give_up_ms = 100;
    fixture f(o);
    f.q.push(ev(1));
    f.q.take(0);
    f.q.failed(0);
    f.q.take(200);
    EXPECT_EQ(f.q.failed(200), failure_outcome::gave_up);
    f.q.push(ev(2, 50));
    f.q.take(f.q.next_attempt_ms());
    f.q.failed(250);
    f.q.take(f.q.next_attempt_ms());
    EXPECT_EQ(f.q.failed(301), failure_outcome::gave_up);
    auto b = f.q.take(f.q.next_attempt_ms());
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].type, "resync");
    EXPECT_EQ(b[0].node_seq, 102u);
    EXPECT_EQ(b[0].position, 50u);
    EXPECT_EQ(f.q.depth(), 1u);
}

TEST(WebhookQueue, OutcomesWithoutAFlightChangeNothing) {
    fixture f(opts(10, 10));
    f.q.push(ev(1));
    f.q.delivered(0);
    EXPECT_EQ(f.q.failed(0), failure_outcome::will_retry);
    EXPECT_EQ(f.q.depth(), 1u);
    EXPECT_EQ(f.q.counts().failures, 0u);
    EXPECT_EQ(f.q.take(0).size(), 1u);
}

TEST(WebhookQueue, ZeroSizesAreClampedToOne) {
    fixture f(opts(0, 0));
    f.q.push(ev(1));
    EXPECT_EQ(f.q.depth(), 1u);
    EXPECT_EQ(f.q.take(0).size(), 1u);
}

}  // namespace
}  // namespace herald::presence
