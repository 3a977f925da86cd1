// channels/outbox: the byte cap counts queued and in-flight bytes, push refuses past it (queuing
// nothing), take/write_done move and release the accounting, push_unchecked passes the cap,
// and a queue grown by a burst is given back once the write leaves it empty.
#include "lib/channels/outbox.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::channels {
namespace {

frame bytes(std::size_t n, char c = 'x') { return std::make_shared<const std::string>(n, c); }

TEST(Outbox, StartsEmpty) {
    outbox box(100);
    EXPECT_TRUE(box.empty());
    EXPECT_FALSE(box.writing());
    EXPECT_EQ(box.queued_bytes(), 0u);
    EXPECT_EQ(box.total_bytes(), 0u);
    EXPECT_EQ(box.max_bytes(), 100u);
}

TEST(Outbox, QueuesUpToTheCapInclusive) {
    outbox box(10);
    EXPECT_TRUE(box.push(bytes(4)));
    EXPECT_TRUE(box.push(bytes(6)));
    EXPECT_FALSE(box.empty());
    EXPECT_EQ(box.queued_bytes(), 10u);
    EXPECT_EQ(box.total_bytes(), 10u);
}

TEST(Outbox, RefusesPastTheCapAndQueuesNothing) {
    outbox box(10);
    ASSERT_TRUE(box.push(bytes(8)));
    EXPECT_FALSE(box.push(bytes(3)));
    EXPECT_EQ(box.queued_bytes(), 8u);
    EXPECT_TRUE(box.push(bytes(2)));  // a smaller frame still fits
    std::vector<frame> batch;
    EXPECT_EQ(box.take(batch), 10u);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0]->size(), 8u);
    EXPECT_EQ(batch[1]->size(), 2u);
}

TEST(Outbox, RefusesAFrameBiggerThanTheCapEvenWhenEmpty) {
    outbox box(10);
    EXPECT_FALSE(box.push(bytes(11)));
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.total_bytes(), 0u);
}

TEST(Outbox, AcceptsEmptyFrames) {
    outbox box(0);
    EXPECT_TRUE(box.push(bytes(0)));
    EXPECT_FALSE(box.push(bytes(1)));
}

TEST(Outbox, TakeMovesEverythingInOrderAsInFlight) {
    outbox box(100);
    auto a = bytes(3, 'a'), b = bytes(5, 'b'), c = bytes(7, 'c');
    ASSERT_TRUE(box.push(a));
    ASSERT_TRUE(box.push(b));
    ASSERT_TRUE(box.push(c));
    std::vector<frame> batch;
    EXPECT_EQ(box.take(batch), 15u);
    ASSERT_EQ(batch.size(), 3u);
    EXPECT_EQ(batch[0].get(), a.get());  // the same shared bytes, not copies
    EXPECT_EQ(batch[1].get(), b.get());
    EXPECT_EQ(batch[2].get(), c.get());
    EXPECT_TRUE(box.empty());
    EXPECT_TRUE(box.writing());
    EXPECT_EQ(box.queued_bytes(), 0u);
    EXPECT_EQ(box.total_bytes(), 15u);
}

TEST(Outbox, TakeOfNothingIsZero) {
    outbox box(100);
    std::vector<frame> batch;
    EXPECT_EQ(box.take(batch), 0u);
    EXPECT_TRUE(batch.empty());
    EXPECT_FALSE(box.writing());
}

TEST(Outbox, CapCountsBytesInFlight) {
    outbox box(10);
    ASSERT_TRUE(box.push(bytes(6)));
    std::vector<frame> batch;
    ASSERT_EQ(box.take(batch), 6u);
    EXPECT_FALSE(box.push(bytes(5)));  // 6 in flight + 5 > 10
    EXPECT_TRUE(box.push(bytes(4)));   // 6 + 4 = 10
    EXPECT_EQ(box.queued_bytes(), 4u);
    EXPECT_EQ(box.total_bytes(), 10u);
    box.write_done(batch);
    EXPECT_TRUE(batch.empty());
    EXPECT_FALSE(box.writing());
    EXPECT_EQ(box.total_bytes(), 4u);
    EXPECT_TRUE(box.push(bytes(6)));
    EXPECT_EQ(box.total_bytes(), 10u);
}

TEST(Outbox, AccountsOverManyWriteRounds) {
    outbox box(64);
    std::vector<frame> batch;
    std::size_t written = 0;
    for (int round = 0; round < 100; ++round) {
        const std::size_t n = 1 + static_cast<std::size_t>(round % 5);
        for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(box.push(bytes(10)));
        ASSERT_EQ(box.take(batch), n * 10);
        ASSERT_EQ(batch.size(), n);
        // While writing, more arrives.
        ASSERT_TRUE(box.push(bytes(1)));
        EXPECT_EQ(box.total_bytes(), n * 10 + 1);
        for (const auto& f : batch) written += f->size();
        box.write_done(batch);
        ASSERT_EQ(box.total_bytes(), 1u);
        ASSERT_EQ(box.take(batch), 1u);
        written += batch.at(0)->size();
        box.write_done(batch);
        ASSERT_EQ(box.total_bytes(), 0u);
    }
    EXPECT_EQ(written, 100u + 10u * (20u * (1 + 2 + 3 + 4 + 5)));
}

TEST(Outbox, PushUncheckedPassesTheCap) {
    outbox box(10);
    ASSERT_TRUE(box.push(bytes(10)));
    box.push_unchecked(bytes(5));
    EXPECT_EQ(box.queued_bytes(), 15u);
    EXPECT_EQ(box.total_bytes(), 15u);
    EXPECT_FALSE(box.push(bytes(1)));  // over the cap now: even nothing more fits
    EXPECT_FALSE(box.push(bytes(0)));
    std::vector<frame> batch;
    EXPECT_EQ(box.take(batch), 15u);
    EXPECT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch.back()->size(), 5u);
}

TEST(Outbox, PushUncheckedQueuesBehindWhatIsThere) {
    outbox box(4);
    ASSERT_TRUE(box.push(bytes(3, 'a')));
    box.push_unchecked(bytes(10, 'z'));
    std::vector<frame> batch;
    box.take(batch);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ((*batch[0])[0], 'a');
    EXPECT_EQ((*batch[1])[0], 'z');
}

TEST(Outbox, AQueueGrownByABurstIsGivenBackOnceEmpty) {
    // An idle stream must not keep the capacity of its largest burst.
    outbox box(1 << 20);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(box.push(bytes(1)));
    std::vector<frame> batch;
    ASSERT_EQ(box.take(batch), 100u);
    EXPECT_EQ(batch.size(), 100u);
    EXPECT_TRUE(box.empty());
    EXPECT_GE(box.queue_capacity(), 100u);  // taking keeps the queue's capacity for the next frames
    box.write_done(batch);
    EXPECT_TRUE(batch.empty());
    EXPECT_LE(box.queue_capacity(), outbox::kept_capacity);
    // Steady small traffic reuses what is kept.
    ASSERT_TRUE(box.push(bytes(1)));
    EXPECT_EQ(box.take(batch), 1u);
    box.write_done(batch);
    EXPECT_FALSE(box.writing());
    EXPECT_EQ(box.total_bytes(), 0u);
}

}  // namespace
}  // namespace herald::channels
