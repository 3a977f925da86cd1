// history/history_ring: eviction by count and bytes (at append) and by age (driven by a manual
// clock), reads after an offset with a limit, and the first offset still held.
#include "lib/history/history_ring.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/manual_clock.hpp"

namespace herald::history {
namespace {

model::event_ptr make_event(std::uint64_t offset, std::int64_t published_at = 0) {
    auto ev = std::make_shared<model::event>();
    ev->channel = "news";
    ev->offset = offset;
    ev->epoch = "e1";
    ev->data = std::to_string(offset);
    ev->published_at = published_at;
    return ev;
}

std::vector<std::uint64_t> offsets(const std::vector<model::event_ptr>& evs) {
    std::vector<std::uint64_t> out;
    for (const auto& e : evs) out.push_back(e->offset);
    return out;
}

using offs = std::vector<std::uint64_t>;

TEST(HistoryRing, StartsEmpty) {
    history_ring ring(10, 1000);
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.size(), 0u);
    EXPECT_EQ(ring.first_offset(), 0u);
    EXPECT_TRUE(ring.since(0, 100).empty());
}

TEST(HistoryRing, KeepsEventsInOrder) {
    history_ring ring(10, 0);
    for (std::uint64_t i = 1; i <= 4; ++i) ring.append(make_event(i));
    EXPECT_EQ(ring.size(), 4u);
    EXPECT_FALSE(ring.empty());
    EXPECT_EQ(ring.first_offset(), 1u);
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{1, 2, 3, 4}));
}

TEST(HistoryRing, EvictsByCountAtAppend) {
    history_ring ring(3, 0);
    for (std::uint64_t i = 1; i <= 3; ++i) ring.append(make_event(i));
    EXPECT_EQ(ring.first_offset(), 1u);
    ring.append(make_event(4));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.first_offset(), 2u);
    ring.append(make_event(5));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.first_offset(), 3u);
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{3, 4, 5}));
}

TEST(HistoryRing, CountOfOneKeepsOnlyTheNewest) {
    history_ring ring(1, 0);
    for (std::uint64_t i = 1; i <= 5; ++i) ring.append(make_event(i));
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{5}));
}

TEST(HistoryRing, CountOfZeroKeepsNothing) {
    history_ring ring(0, 0);
    ring.append(make_event(1));
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.first_offset(), 0u);
}

TEST(HistoryRing, EvictsByAgeWithAManualClock) {
    test::manual_clock clock;
    history_ring ring(100, 1000);
    const auto t0 = clock.now_ms();
    ring.append(make_event(1, clock.now_ms()));
    clock.advance(400);
    ring.append(make_event(2, clock.now_ms()));
    clock.advance(400);
    ring.append(make_event(3, clock.now_ms()));

    clock.set(t0 + 999);
    ring.evict_expired(clock.now_ms());
    EXPECT_EQ(ring.size(), 3u);

    clock.set(t0 + 1000);  // event 1 is exactly max_age old: dropped
    ring.evict_expired(clock.now_ms());
    EXPECT_EQ(ring.first_offset(), 2u);
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{2, 3}));

    clock.advance(std::chrono::milliseconds(799));
    ring.evict_expired(clock.now_ms());
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{3}));

    clock.advance(1);
    ring.evict_expired(clock.now_ms());
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.first_offset(), 0u);
}

TEST(HistoryRing, AgeEvictionOnlyWhenAsked) {
    test::manual_clock clock;
    history_ring ring(100, 10);
    ring.append(make_event(1, clock.now_ms()));
    clock.advance(1000);
    EXPECT_EQ(ring.size(), 1u);  // append and reads do not look at the clock
    ring.append(make_event(2, clock.now_ms()));
    EXPECT_EQ(ring.size(), 2u);
    ring.evict_expired(clock.now_ms());
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{2}));
}

TEST(HistoryRing, NonPositiveAgeNeverExpires) {
    for (std::int64_t age : {0, -5}) {
        history_ring ring(10, age);
        ring.append(make_event(1, 0));
        ring.evict_expired(1'000'000'000'000);
        EXPECT_EQ(ring.size(), 1u) << age;
    }
}

TEST(HistoryRing, ReadsAfterAnOffset) {
    history_ring ring(10, 0);
    for (std::uint64_t i = 1; i <= 5; ++i) ring.append(make_event(i));
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{1, 2, 3, 4, 5}));
    EXPECT_EQ(offsets(ring.since(2, 100)), (offs{3, 4, 5}));
    EXPECT_EQ(offsets(ring.since(4, 100)), (offs{5}));
    EXPECT_TRUE(ring.since(5, 100).empty());
    EXPECT_TRUE(ring.since(99, 100).empty());
}

TEST(HistoryRing, ReadsOldestFirstUpToTheLimit) {
    history_ring ring(10, 0);
    for (std::uint64_t i = 1; i <= 5; ++i) ring.append(make_event(i));
    EXPECT_EQ(offsets(ring.since(0, 2)), (offs{1, 2}));
    EXPECT_EQ(offsets(ring.since(3, 1)), (offs{4}));
    EXPECT_TRUE(ring.since(0, 0).empty());
}

TEST(HistoryRing, ReadBeforeTheFirstHeldStartsThere) {
    history_ring ring(2, 0);
    for (std::uint64_t i = 1; i <= 5; ++i) ring.append(make_event(i));
    EXPECT_EQ(ring.first_offset(), 4u);
    EXPECT_EQ(offsets(ring.since(1, 100)), (offs{4, 5}));
}

TEST(HistoryRing, HandlesGapsInOffsets) {
    history_ring ring(10, 0);
    for (std::uint64_t i : {2u, 5u, 9u}) ring.append(make_event(i));
    EXPECT_EQ(offsets(ring.since(4, 100)), (offs{5, 9}));
    EXPECT_EQ(offsets(ring.since(5, 100)), (offs{9}));
    EXPECT_EQ(offsets(ring.since(1, 100)), (offs{2, 5, 9}));
}

TEST(HistoryRing, ReturnsTheSameEventObjects) {
    history_ring ring(10, 0);
    auto ev = make_event(1);
    ring.append(ev);
    auto got = ring.since(0, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].get(), ev.get());
}

model::event_ptr sized_event(std::uint64_t offset, std::size_t data_bytes, std::int64_t published_at = 0) {
    auto ev = std::make_shared<model::event>();
    ev->channel = "news";
    ev->offset = offset;
    ev->epoch = "e1";
    ev->data.assign(data_bytes, 'x');
    ev->published_at = published_at;
    return ev;
}

TEST(HistoryRing, EvictsByBytesCountingDataAndAFixedCostPerEvent) {
    // 3 events of 100 data bytes cost 3 * (100 + 64) = 492; a fourth would make 656.
    history_ring ring(100, 0, 500);
    for (std::uint64_t i = 1; i <= 3; ++i) ring.append(sized_event(i, 100));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.bytes(), 492u);
    ring.append(sized_event(4, 100));
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{2, 3, 4}));
    EXPECT_EQ(ring.bytes(), 492u);
    ring.append(sized_event(5, 200));  // 164 * 3 + 264 = 756 > 500: two go
    EXPECT_EQ(offsets(ring.since(0, 100)), (offs{4, 5}));
    EXPECT_EQ(ring.bytes(), 164u + 264u);
}

TEST(HistoryRing, ZeroByteEventsStillCountAgainstTheByteBound) {
    history_ring ring(1000000, 0, 64 * 10);
    for (std::uint64_t i = 1; i <= 100; ++i) ring.append(sized_event(i, 0));
    EXPECT_EQ(ring.size(), 10u) << "an empty event costs 64 bytes";
    EXPECT_EQ(ring.first_offset(), 91u);
}

TEST(HistoryRing, AnEventLargerThanTheByteBoundIsNotKept) {
    history_ring ring(10, 0, 100);
    ring.append(sized_event(1, 10));
    ring.append(sized_event(2, 1000));
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.bytes(), 0u);
}

TEST(HistoryRing, ByteTotalFollowsAgeAndCountEviction) {
    test::manual_clock clock(1000);
    history_ring ring(2, 100, 0);
    ring.append(sized_event(1, 10, clock.now_ms()));
    clock.advance(50);
    ring.append(sized_event(2, 20, clock.now_ms()));
    EXPECT_EQ(ring.bytes(), 74u + 84u);
    ring.append(sized_event(3, 30, clock.now_ms()));  // count 2: the first goes
    EXPECT_EQ(ring.bytes(), 84u + 94u);
    clock.advance(100);  // both are 100 ms old now
    ring.evict_expired(clock.now_ms());
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.bytes(), 0u);
}

}  // namespace
}  // namespace herald::history
