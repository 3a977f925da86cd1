// channels/conflation: the pure window of one conflated channel — leading-edge delivery, the
// latest pending event per key by offset at the window's end, a flush opening the next window and
// an empty window closing it, deletions and keyless events, an epoch change, and take_all.
// Single-threaded.
#include "lib/channels/conflation.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace herald::channels {
namespace {

using arrival = conflation_window::arrival;

model::event_ptr keyed(std::uint64_t offset, const std::string& key, const std::string& data = "x",
                       bool deleted = false, const std::string& epoch = "e1") {
    auto ev = std::make_shared<model::event>();
    ev->channel = "ticker:a";
    ev->offset = offset;
    ev->epoch = epoch;
    ev->key = key;
    ev->data = deleted ? "" : data;
    ev->deleted = deleted;
    return ev;
}

std::vector<std::uint64_t> offsets(const std::vector<model::event_ptr>& evs) {
    std::vector<std::uint64_t> out;
    for (const auto& e : evs) out.push_back(e->offset);
    return out;
}

TEST(ConflationWindow, TheFirstEventGoesAtOnceAndOpensAWindow) {
    conflation_window w;
    EXPECT_FALSE(w.open());
    auto r = w.offer(keyed(1, "AAPL"));
    EXPECT_EQ(r.what, arrival::deliver_now);
    EXPECT_EQ(r.discarded, 0u);
    EXPECT_TRUE(w.open());
    EXPECT_EQ(w.pending(), 0u);  // the delivered event is not pending
}

TEST(ConflationWindow, WithinAWindowOnlyTheLatestOfEachKeyIsFlushedInOffsetOrder) {
    conflation_window w;
    w.offer(keyed(1, "A"));
    EXPECT_EQ(w.offer(keyed(2, "B")).what, arrival::held);
    EXPECT_EQ(w.offer(keyed(3, "A")).what, arrival::held);
    EXPECT_EQ(w.offer(keyed(4, "C")).what, arrival::held);
    auto r = w.offer(keyed(5, "A"));
    EXPECT_EQ(r.what, arrival::replaced);
    EXPECT_EQ(r.discarded, 1u);
    r = w.offer(keyed(6, "B"));
    EXPECT_EQ(r.what, arrival::replaced);
    EXPECT_EQ(r.discarded, 1u);
    EXPECT_EQ(w.pending(), 3u);
    auto due = w.end_window();
    EXPECT_EQ(offsets(due), (std::vector<std::uint64_t>{4, 5, 6}));
    EXPECT_EQ(due[0]->key, "C");
    EXPECT_EQ(due[1]->key, "A");
    EXPECT_EQ(due[2]->key, "B");
    EXPECT_TRUE(w.open());  // a flush counts as a delivery: the next window is open
    EXPECT_EQ(w.pending(), 0u);
}

TEST(ConflationWindow, AnEmptyWindowClosesAndTheNextEventIsALeadingEdgeAgain) {
    conflation_window w;
    w.offer(keyed(1, "A"));
    w.offer(keyed(2, "A"));
    EXPECT_EQ(offsets(w.end_window()), (std::vector<std::uint64_t>{2}));
    EXPECT_TRUE(w.open());
    EXPECT_TRUE(w.end_window().empty());  // nothing came within the window after the flush
    EXPECT_FALSE(w.open());
    EXPECT_EQ(w.offer(keyed(3, "A")).what, arrival::deliver_now);
}

TEST(ConflationWindow, KeysNotUpdatedInAWindowAreNotSentAgain) {
    conflation_window w;
    w.offer(keyed(1, "A"));
    w.offer(keyed(2, "B"));
    w.offer(keyed(3, "C"));
    EXPECT_EQ(offsets(w.end_window()), (std::vector<std::uint64_t>{2, 3}));
    w.offer(keyed(4, "C"));
    EXPECT_EQ(offsets(w.end_window()), (std::vector<std::uint64_t>{4}));  // not B again, not A
}

TEST(ConflationWindow, ADeletionReplacesAnEarlierUpdateOfItsKeyAndALaterUpdateReplacesIt) {
    conflation_window w;
    w.offer(keyed(1, "A"));
    w.offer(keyed(2, "B", "10"));
    EXPECT_EQ(w.offer(keyed(3, "B", "", true)).what, arrival::replaced);
    auto due = w.end_window();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0]->offset, 3u);
    EXPECT_TRUE(due[0]->deleted);

    w.offer(keyed(4, "B", "", true));
    EXPECT_EQ(w.offer(keyed(5, "B", "11")).what, arrival::replaced);
    due = w.end_window();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0]->offset, 5u);
    EXPECT_FALSE(due[0]->deleted);
}

TEST(ConflationWindow, EventsWithoutAKeyAreNeverDropped) {
    conflation_window w;
    w.offer(keyed(1, ""));
    EXPECT_EQ(w.offer(keyed(2, "")).what, arrival::held);
    EXPECT_EQ(w.offer(keyed(3, "A")).what, arrival::held);
    EXPECT_EQ(w.offer(keyed(4, "")).what, arrival::held);
    EXPECT_EQ(w.offer(keyed(5, "A")).what, arrival::replaced);
    EXPECT_EQ(offsets(w.end_window()), (std::vector<std::uint64_t>{2, 4, 5}));
}

TEST(ConflationWindow, AnEventOfANewEpochDiscardsWhatIsPendingOfTheOld) {
    conflation_window w;
    w.offer(keyed(50, "A"));
    w.offer(keyed(51, "A"));
    w.offer(keyed(52, "B"));
    auto r = w.offer(keyed(1, "C", "x", false, "e2"));
    EXPECT_EQ(r.what, arrival::held);
    EXPECT_EQ(r.discarded, 2u);
    auto due = w.end_window();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0]->offset, 1u);
    EXPECT_EQ(due[0]->epoch, "e2");
}

TEST(ConflationWindow, TakeAllHandsOverThePendingInOrderAndCloses) {
    conflation_window w;
    w.offer(keyed(1, "A"));
    w.offer(keyed(2, "B"));
    w.offer(keyed(3, "A"));
    EXPECT_EQ(offsets(w.take_all()), (std::vector<std::uint64_t>{2, 3}));
    EXPECT_FALSE(w.open());
    EXPECT_EQ(w.pending(), 0u);
    EXPECT_EQ(w.offer(keyed(4, "A")).what, arrival::deliver_now);
}

}  // namespace
}  // namespace herald::channels
