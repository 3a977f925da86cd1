// stream/backlog: conflation keeps one event per key in offset order; drop_oldest drops from the
// front within its byte bound and reports each run dropped as one gap before what follows.
#include "lib/stream/backlog.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "lib/stream/resume_state.hpp"

namespace herald::stream {
namespace {

channels::encoded_event_ptr ev(std::uint64_t offset, std::string key = "", std::size_t bytes = 4) {
    auto e = std::make_shared<model::event>();
    e->channel = "c";
    e->offset = offset;
    e->key = std::move(key);
    e->data = std::string(bytes, 'd');
    return std::make_shared<channels::encoded_event>(e);
}

// Drains the backlog: offsets in the order they leave, a gap as -first..-last pairs.
std::vector<std::int64_t> drain(backlog& b) {
    std::vector<std::int64_t> out;
    while (!b.empty()) {
        if (b.pending_gap()) {
            out.push_back(-static_cast<std::int64_t>(b.pending_gap()->first));
            out.push_back(-static_cast<std::int64_t>(b.pending_gap()->last));
            b.take_gap();
            continue;
        }
        out.push_back(static_cast<std::int64_t>(b.front()->event().offset));
        b.pop();
    }
    return out;
}

TEST(Backlog, ConflateKeepsTheNewestEventOfEachKeyInOffsetOrder) {
    backlog b(backlog_rule::conflate, 1 << 20);
    b.push(ev(1, "a"));
    b.push(ev(2, "b"));
    b.push(ev(3, "a"));
    b.push(ev(4, "c"));
    b.push(ev(5, "b"));
    EXPECT_EQ(b.replaced(), 2u);
    EXPECT_EQ(drain(b), (std::vector<std::int64_t>{3, 4, 5}));
    EXPECT_EQ(b.bytes(), 0u);
}

TEST(Backlog, AConflatedBacklogPastItsBoundIsOver) {
    const auto cost = event_cost(ev(1, "k0", 100)->event());
    backlog b(backlog_rule::conflate, 3 * cost);
    for (std::uint64_t i = 0; i < 3; ++i) b.push(ev(i + 1, "k" + std::to_string(i), 100));
    EXPECT_FALSE(b.over());
    for (std::uint64_t i = 0; i < 3; ++i) b.push(ev(i + 4, "k" + std::to_string(i), 100));  // same keys: replaced
    EXPECT_FALSE(b.over());
    b.push(ev(7, "k9", 100));
    EXPECT_TRUE(b.over());
}

TEST(Backlog, DropOldestReportsEachRunDroppedAsOneGapBeforeWhatFollows) {
    const auto cost = event_cost(ev(1)->event());
    backlog b(backlog_rule::drop_oldest, 2 * cost);
    for (std::uint64_t off = 1; off <= 5; ++off) b.push(ev(off));
    EXPECT_EQ(b.dropped(), 3u);
    EXPECT_EQ(drain(b), (std::vector<std::int64_t>{-1, -3, 4, 5}));
    b.push(ev(6));
    b.push(ev(7));
    b.push(ev(8));
    EXPECT_EQ(drain(b), (std::vector<std::int64_t>{-6, -6, 7, 8}));
}

TEST(Backlog, AnEventLargerThanTheBoundLeavesOnlyItsGap) {
    backlog b(backlog_rule::drop_oldest, 10);
    b.push(ev(9, "", 1000));
    EXPECT_FALSE(b.empty());
    EXPECT_FALSE(b.has_event());
    EXPECT_EQ(drain(b), (std::vector<std::int64_t>{-9, -9}));
}

}  // namespace
}  // namespace herald::stream

namespace herald::stream {
namespace {
TEST(Backlog, AConflatingStreamKeepsItsOutboxShortAndItsBacklogWide) {
    constexpr std::size_t mib = 1 << 20;
    EXPECT_EQ(defer_above(backlog_rule::conflate, mib), 64u * 1024);
    EXPECT_EQ(defer_above(backlog_rule::conflate, 64 * 1024), 16u * 1024);
    EXPECT_EQ(drain_up_to(backlog_rule::conflate, mib), 64u * 1024);
    EXPECT_EQ(backlog_bound(backlog_rule::conflate, mib), 4 * mib);
    EXPECT_EQ(defer_above(backlog_rule::drop_oldest, mib), mib);
    EXPECT_EQ(drain_up_to(backlog_rule::drop_oldest, mib), mib / 2);
    EXPECT_EQ(backlog_bound(backlog_rule::drop_oldest, mib), mib);
}
}  // namespace
}  // namespace herald::stream
