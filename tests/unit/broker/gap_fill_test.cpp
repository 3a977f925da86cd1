// broker/gap_fill: the order a node hands on the events it receives over Redis pub/sub, without
// Redis. In order and first seen: handed on; duplicates and old offsets dropped; a gap asks for
// the missing range and holds what arrives until the read answers, which hands on history then the
// held events in order; a failed or other-epoch read leaves the gap (no second fill); a new epoch
// at offset 1, or filled from its start; the held and channel bounds with their outcomes; touch and
// forget_idle.
#include "lib/broker/gap_fill.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace herald::broker {
namespace {

model::event_ptr ev(std::uint64_t offset, const std::string& epoch = "e1", const std::string& channel = "news") {
    auto e = std::make_shared<model::event>();
    e->channel = channel;
    e->offset = offset;
    e->epoch = epoch;
    e->data = epoch + ":" + std::to_string(offset);
    return e;
}

channel_history history(std::vector<model::event_ptr> events, const std::string& epoch = "e1") {
    channel_history h;
    h.channel = "news";
    h.epoch = epoch;
    h.last_offset = events.empty() ? 0 : events.back()->offset;
    h.first_available = events.empty() ? h.last_offset + 1 : events.front()->offset;
    h.events = std::move(events);
    return h;
}

std::vector<std::string> texts(const std::vector<model::event_ptr>& evs) {
    std::vector<std::string> out;
    for (const auto& e : evs) out.push_back(e->data);
    return out;
}

using V = std::vector<std::string>;

// Hands on offsets first..last of `epoch` in order, as a steady stream would.
void stream(gap_fill& g, std::uint64_t first, std::uint64_t last, const std::string& epoch = "e1") {
    for (auto o = first; o <= last; ++o) ASSERT_EQ(g.on_event(ev(o, epoch), 0).outcome, arrival_outcome::deliver) << o;
}

TEST(GapFill, AChannelFirstSeenStartsWhereItIs) {
    gap_fill g;
    auto a = g.on_event(ev(7), 100);
    EXPECT_EQ(a.outcome, arrival_outcome::deliver);
    EXPECT_TRUE(a.hand_on());
    EXPECT_FALSE(a.read);
    auto c = g.channel("news");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->epoch, "e1");
    EXPECT_EQ(c->last, 7u);
    EXPECT_FALSE(c->filling);
    EXPECT_EQ(c->seen_at, 100);
    EXPECT_EQ(g.followed(), 1u);
}

TEST(GapFill, InOrderEventsAreHandedOnAtOnce) {
    gap_fill g;
    stream(g, 1, 50);
    EXPECT_EQ(g.channel("news")->last, 50u);
}

TEST(GapFill, DuplicatesAndOldOffsetsAreDropped) {
    gap_fill g;
    stream(g, 1, 5);
    for (std::uint64_t o : {5u, 4u, 1u}) {
        auto a = g.on_event(ev(o), 0);
        EXPECT_EQ(a.outcome, arrival_outcome::duplicate) << o;
        EXPECT_FALSE(a.hand_on());
        EXPECT_FALSE(a.read);
    }
    EXPECT_EQ(g.channel("news")->last, 5u);
    EXPECT_EQ(g.on_event(ev(6), 0).outcome, arrival_outcome::deliver);
}

TEST(GapFill, ChannelsAreSequencedApart) {
    gap_fill g;
    EXPECT_EQ(g.on_event(ev(1, "e1", "a"), 0).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.on_event(ev(9, "e1", "b"), 0).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.on_event(ev(2, "e1", "a"), 0).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.on_event(ev(10, "e1", "b"), 0).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.followed(), 2u);
}

TEST(GapFill, AGapAsksForTheMissingRangeAndHoldsTheEvent) {
    gap_fill g;
    stream(g, 1, 3);
    auto a = g.on_event(ev(7), 0);
    EXPECT_EQ(a.outcome, arrival_outcome::fill);
    EXPECT_FALSE(a.hand_on());
    ASSERT_TRUE(a.read);
    EXPECT_EQ(a.read->channel, "news");
    EXPECT_EQ(a.read->after, 3u);
    EXPECT_EQ(a.read->limit, 3u) << "offsets 4, 5, 6";
    auto c = g.channel("news");
    EXPECT_TRUE(c->filling);
    EXPECT_EQ(c->held, 1u);
    EXPECT_EQ(c->last, 3u) << "nothing past the gap is handed on before the fill";
}

TEST(GapFill, EventsArrivingDuringAFillAreHeldWithoutASecondRead) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(7), 0).outcome, arrival_outcome::fill);
    for (std::uint64_t o : {8u, 10u}) {
        auto a = g.on_event(ev(o), 0);
        EXPECT_EQ(a.outcome, arrival_outcome::held) << o;
        EXPECT_FALSE(a.read);
    }
    EXPECT_EQ(g.channel("news")->held, 3u);
}

TEST(GapFill, TheFillHandsOnHistoryThenTheHeldEventsInOrder) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(7), 0).outcome, arrival_outcome::fill);
    ASSERT_EQ(g.on_event(ev(8), 0).outcome, arrival_outcome::held);
    auto out = g.on_fill("news", history({ev(4), ev(5), ev(6)}), 500);
    EXPECT_EQ(texts(out), (V{"e1:4", "e1:5", "e1:6", "e1:7", "e1:8"}));
    auto c = g.channel("news");
    EXPECT_FALSE(c->filling);
    EXPECT_EQ(c->held, 0u);
    EXPECT_EQ(c->last, 8u);
    EXPECT_EQ(c->seen_at, 500);
    EXPECT_EQ(g.on_event(ev(9), 0).outcome, arrival_outcome::deliver);
}

TEST(GapFill, TheFillSkipsWhatWasHandedOnAndWhatIsHeld) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(6), 0).outcome, arrival_outcome::fill);
    ASSERT_EQ(g.on_event(ev(6), 0).outcome, arrival_outcome::held) << "a repeat while filling is held, dropped later";
    // History may answer with more than asked: older offsets and the held ones are not repeated.
    auto out = g.on_fill("news", history({ev(2), ev(3), ev(4), ev(5), ev(6), ev(7)}), 0);
    EXPECT_EQ(texts(out), (V{"e1:4", "e1:5", "e1:6"}));
    EXPECT_EQ(g.channel("news")->last, 6u);
}

TEST(GapFill, WhatHistoryNoLongerHoldsStaysMissing) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(10), 0).outcome, arrival_outcome::fill);
    auto out = g.on_fill("news", history({ev(8), ev(9)}), 0);  // 4..7 trimmed away
    EXPECT_EQ(texts(out), (V{"e1:8", "e1:9", "e1:10"}));
    EXPECT_EQ(g.on_event(ev(11), 0).outcome, arrival_outcome::deliver) << "no second fill for the old gap";
}

TEST(GapFill, AFailedReadHandsOnTheHeldEventsAndLeavesTheGap) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(7), 0).outcome, arrival_outcome::fill);
    ASSERT_EQ(g.on_event(ev(8), 0).outcome, arrival_outcome::held);
    auto out = g.on_fill("news", model::errors::unavailable("down", "retry"), 0);
    EXPECT_EQ(texts(out), (V{"e1:7", "e1:8"}));
    auto c = g.channel("news");
    EXPECT_FALSE(c->filling);
    EXPECT_EQ(c->last, 8u);
}

TEST(GapFill, AHistoryOfAnotherEpochFillsNothing) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(7), 0).outcome, arrival_outcome::fill);
    auto out = g.on_fill("news", history({ev(4, "e2"), ev(5, "e2"), ev(6, "e2")}, "e2"), 0);
    EXPECT_EQ(texts(out), (V{"e1:7"})) << "the stream was lost meanwhile: its history is not this one's";
}

TEST(GapFill, ANewEpochAtOffsetOneIsHandedOn) {
    gap_fill g;
    stream(g, 1, 40);
    auto a = g.on_event(ev(1, "e2"), 0);
    EXPECT_EQ(a.outcome, arrival_outcome::deliver);
    auto c = g.channel("news");
    EXPECT_EQ(c->epoch, "e2");
    EXPECT_EQ(c->last, 1u);
    EXPECT_EQ(g.on_event(ev(2, "e2"), 0).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.on_event(ev(41, "e1"), 0).outcome, arrival_outcome::fill)
        << "an event of another epoch past offset 1 is filled from that epoch's start";
}

TEST(GapFill, ANewEpochWhoseFirstEventsWereMissedIsFilledFromItsStart) {
    gap_fill g;
    stream(g, 1, 40);
    auto a = g.on_event(ev(4, "e2"), 0);
    EXPECT_EQ(a.outcome, arrival_outcome::fill);
    ASSERT_TRUE(a.read);
    EXPECT_EQ(a.read->after, 0u);
    EXPECT_EQ(a.read->limit, 3u);
    auto out = g.on_fill("news", history({ev(1, "e2"), ev(2, "e2"), ev(3, "e2")}, "e2"), 0);
    EXPECT_EQ(texts(out), (V{"e2:1", "e2:2", "e2:3", "e2:4"}));
    EXPECT_EQ(g.channel("news")->epoch, "e2");
}

TEST(GapFill, AnEpochChangeWhileFillingIsPassedOnAsItCame) {
    gap_fill g;
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(6), 0).outcome, arrival_outcome::fill);
    ASSERT_EQ(g.on_event(ev(1, "e2"), 0).outcome, arrival_outcome::held);
    ASSERT_EQ(g.on_event(ev(2, "e2"), 0).outcome, arrival_outcome::held);
    auto out = g.on_fill("news", history({ev(4), ev(5)}), 0);
    EXPECT_EQ(texts(out), (V{"e1:4", "e1:5", "e1:6", "e2:1", "e2:2"}));
    auto c = g.channel("news");
    EXPECT_EQ(c->epoch, "e2");
    EXPECT_EQ(c->last, 2u);
}

TEST(GapFill, AnAnswerForAChannelWithoutAFillIsIgnored) {
    gap_fill g;
    stream(g, 1, 3);
    EXPECT_TRUE(g.on_fill("news", history({ev(4)}), 0).empty());
    EXPECT_TRUE(g.on_fill("other", history({ev(1)}), 0).empty());
    EXPECT_EQ(g.channel("news")->last, 3u);
    EXPECT_FALSE(g.channel("other"));
}

TEST(GapFill, HeldEventsAreBoundedAndTheOverflowIsFilledByTheNextGap) {
    gap_fill g({.max_held = 3, .max_channels = 10});
    stream(g, 1, 3);
    ASSERT_EQ(g.on_event(ev(5), 0).outcome, arrival_outcome::fill);
    ASSERT_EQ(g.on_event(ev(6), 0).outcome, arrival_outcome::held);
    ASSERT_EQ(g.on_event(ev(7), 0).outcome, arrival_outcome::held);
    for (std::uint64_t o : {8u, 9u}) {
        auto a = g.on_event(ev(o), 0);
        EXPECT_EQ(a.outcome, arrival_outcome::held_full) << o;
        EXPECT_FALSE(a.hand_on());
        EXPECT_FALSE(a.read);
    }
    EXPECT_EQ(g.channel("news")->held, 3u);
    EXPECT_EQ(texts(g.on_fill("news", history({ev(4)}), 0)), (V{"e1:4", "e1:5", "e1:6", "e1:7"}));
    auto a = g.on_event(ev(10), 0);
    ASSERT_EQ(a.outcome, arrival_outcome::fill) << "the dropped events are a gap the next event finds";
    EXPECT_EQ(a.read->after, 7u);
    EXPECT_EQ(a.read->limit, 2u);
    EXPECT_EQ(texts(g.on_fill("news", history({ev(8), ev(9)}), 0)), (V{"e1:8", "e1:9", "e1:10"}));
}

TEST(GapFill, TheEventThatStartsAFillIsHeldEvenWithNoRoom) {
    gap_fill g({.max_held = 0, .max_channels = 10});
    stream(g, 1, 1);
    ASSERT_EQ(g.on_event(ev(3), 0).outcome, arrival_outcome::fill);
    EXPECT_EQ(g.on_event(ev(4), 0).outcome, arrival_outcome::held_full);
    EXPECT_EQ(texts(g.on_fill("news", history({ev(2)}), 0)), (V{"e1:2", "e1:3"}));
}

TEST(GapFill, ChannelsPastTheBoundGoOnUnsequenced) {
    gap_fill g({.max_held = 10, .max_channels = 2});
    ASSERT_EQ(g.on_event(ev(1, "e1", "a"), 0).outcome, arrival_outcome::deliver);
    ASSERT_EQ(g.on_event(ev(1, "e1", "b"), 0).outcome, arrival_outcome::deliver);
    for (std::uint64_t o : {5u, 2u, 9u}) {
        auto a = g.on_event(ev(o, "e1", "c"), 0);
        EXPECT_EQ(a.outcome, arrival_outcome::untracked) << o;
        EXPECT_TRUE(a.hand_on());
        EXPECT_FALSE(a.read);
    }
    EXPECT_EQ(g.followed(), 2u);
    EXPECT_FALSE(g.channel("c"));
    EXPECT_EQ(g.on_event(ev(2, "e1", "a"), 0).outcome, arrival_outcome::deliver) << "followed ones are unaffected";
}

TEST(GapFill, ForgetIdleDropsChannelsWithNoEventForKeep) {
    gap_fill g;
    ASSERT_EQ(g.on_event(ev(1, "e1", "old"), 1000).outcome, arrival_outcome::deliver);
    ASSERT_EQ(g.on_event(ev(1, "e1", "new"), 1500).outcome, arrival_outcome::deliver);
    EXPECT_EQ(g.forget_idle(1999, 1000), 0u);
    EXPECT_EQ(g.forget_idle(2000, 1000), 1u);
    EXPECT_FALSE(g.channel("old"));
    EXPECT_TRUE(g.channel("new"));
    EXPECT_EQ(g.followed(), 1u);
    EXPECT_EQ(g.on_event(ev(9, "e1", "old"), 2000).outcome, arrival_outcome::deliver)
        << "a channel forgotten starts again where it is";
}

TEST(GapFill, ForgetIdleMakesRoomForChannelsPastTheBound) {
    gap_fill g({.max_held = 10, .max_channels = 1});
    ASSERT_EQ(g.on_event(ev(1, "e1", "a"), 0).outcome, arrival_outcome::deliver);
    ASSERT_EQ(g.on_event(ev(1, "e1", "b"), 0).outcome, arrival_outcome::untracked);
    EXPECT_EQ(g.forget_idle(100, 100), 1u);
    EXPECT_EQ(g.on_event(ev(2, "e1", "b"), 100).outcome, arrival_outcome::deliver);
    EXPECT_TRUE(g.channel("b"));
}

TEST(GapFill, TouchKeepsAWatchedQuietChannel) {
    gap_fill g;
    ASSERT_EQ(g.on_event(ev(4), 0).outcome, arrival_outcome::deliver);
    g.touch("news", 900);
    g.touch("never seen", 900);
    EXPECT_EQ(g.forget_idle(1000, 1000), 0u);
    EXPECT_EQ(g.channel("news")->last, 4u) << "its position and epoch are kept";
    EXPECT_FALSE(g.channel("never seen")) << "touch follows no new channel";
    EXPECT_EQ(g.forget_idle(1900, 1000), 1u);
}

TEST(GapFill, AChannelWithAFillInFlightIsNeverForgotten) {
    gap_fill g;
    stream(g, 1, 2);
    ASSERT_EQ(g.on_event(ev(5), 0).outcome, arrival_outcome::fill);
    EXPECT_EQ(g.forget_idle(1'000'000, 10), 0u);
    EXPECT_EQ(texts(g.on_fill("news", history({ev(3), ev(4)}), 1'000'000)), (V{"e1:3", "e1:4", "e1:5"}));
    EXPECT_EQ(g.forget_idle(1'000'009, 10), 0u) << "handing on the fill counts as activity";
    EXPECT_EQ(g.forget_idle(1'000'010, 10), 1u);
}

TEST(GapFill, DuplicatesDoNotCountAsActivity) {
    gap_fill g;
    ASSERT_EQ(g.on_event(ev(3), 100).outcome, arrival_outcome::deliver);
    ASSERT_EQ(g.on_event(ev(3), 900).outcome, arrival_outcome::duplicate);
    EXPECT_EQ(g.channel("news")->seen_at, 100);
}

}  // namespace
}  // namespace herald::broker
