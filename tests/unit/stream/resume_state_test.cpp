// stream/resume_state: the one rule for both transports — starting positions from a plan, live
// events held while catching up (bounded by count and by cost, zero-byte events included), held
// events released in order at catch-up, duplicates skipped, epoch changes as resets, replay
// paced to half the outbox (one event when it is idle), and closing or reopening a channel
// while its read is pending.
#include "lib/stream/resume_state.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::stream {
namespace {

model::event_ptr make_event(const std::string& channel, std::uint64_t offset, const std::string& epoch,
                            std::size_t bytes = 10) {
    auto ev = std::make_shared<model::event>();
    ev->channel = channel;
    ev->offset = offset;
    ev->epoch = epoch;
    ev->data = std::string(bytes, 'd');
    return ev;
}

channels::encoded_event_ptr live(const std::string& channel, std::uint64_t offset, const std::string& epoch = "e1",
                                 std::size_t bytes = 10) {
    return std::make_shared<channels::encoded_event>(make_event(channel, offset, epoch, bytes));
}

node::channel_resume plan(const std::string& epoch, std::uint64_t resume_offset, std::vector<std::uint64_t> replay,
                          const std::string& reset = "") {
    node::channel_resume p;
    p.epoch = epoch;
    p.resume_offset = resume_offset;
    p.reset_reason = reset;
    for (auto off : replay) p.replay.push_back(make_event("c", off, epoch));
    return p;
}

// Runs the replay with an always-idle outbox; returns the offsets queued, and live events released.
struct drained {
    std::vector<std::uint64_t> replayed;
    std::vector<std::uint64_t> released;
};
drained drain(resume_state& s) {
    drained out;
    for (;;) {
        auto step = s.next_replay(0, true, 1 << 20);
        if (step.what == replay_step::idle) return out;
        if (step.what == replay_step::send) out.replayed.push_back(step.event->offset);
        if (step.what == replay_step::caught_up)
            for (const auto& ev : step.held) out.released.push_back(ev->event().offset);
    }
}

TEST(ResumeState, StartsAtTheReplaysFirstOffsetOrTheResumeOffset) {
    resume_state s(1 << 20);
    auto g = s.open("c", false);
    ASSERT_TRUE(s.apply("c", g, plan("e1", 9, {6, 7, 8, 9})));
    EXPECT_EQ(s.find("c")->offset, 5u);
    EXPECT_EQ(s.find("c")->epoch, "e1");
    EXPECT_TRUE(s.replaying());
    auto d = drain(s);
    EXPECT_EQ(d.replayed, (std::vector<std::uint64_t>{6, 7, 8, 9}));
    EXPECT_TRUE(s.find("c")->live());
    EXPECT_EQ(s.find("c")->offset, 9u);
    EXPECT_FALSE(s.replaying());

    resume_state t(1 << 20);
    auto h = t.open("c", false);
    ASSERT_TRUE(t.apply("c", h, plan("e1", 4, {}, "history_gone")));
    EXPECT_EQ(t.find("c")->offset, 4u);  // a reset starts at the stream's current position
    EXPECT_TRUE(drain(t).replayed.empty());
}

TEST(ResumeState, AResetPlanReplaysTheKeyedSnapshotItCarries) {
    // plan_resume gives a reset plan events only for a keyed channel: its state in the new epoch.
    resume_state s(1 << 20);
    auto g = s.open("c", false);
    ASSERT_TRUE(s.apply("c", g, plan("e2", 9, {2, 9}, "epoch_changed")));
    EXPECT_EQ(s.find("c")->offset, 1u);
    EXPECT_EQ(s.find("c")->epoch, "e2");
    EXPECT_EQ(drain(s).replayed, (std::vector<std::uint64_t>{2, 9}));
    EXPECT_EQ(s.find("c")->offset, 9u);
}

TEST(ResumeState, ASparseKeyedReplayEndsAtTheResumeOffsetAndSkipsWhatItCovers) {
    resume_state s(1 << 20);
    auto g = s.open("c", false);
    EXPECT_EQ(s.on_live(live("c", 11)).what, arrival::held);  // published after the state was read
    ASSERT_TRUE(s.apply("c", g, plan("e1", 10, {3, 7})));    // offsets 8-10 changed keys later deleted
    auto d = drain(s);
    EXPECT_EQ(d.replayed, (std::vector<std::uint64_t>{3, 7}));
    EXPECT_EQ(d.released, (std::vector<std::uint64_t>{11}));
    EXPECT_EQ(s.find("c")->offset, 10u);
    EXPECT_EQ(resume_state::check_live(*s.find("c"), *make_event("c", 10, "e1", 1)), live_step::skip);
    EXPECT_EQ(resume_state::check_live(*s.find("c"), *make_event("c", 11, "e1", 1)), live_step::deliver);
}

TEST(ResumeState, LiveEventsAreHeldUntilCaughtUpThenReleasedInOrder) {
    resume_state s(1 << 20);
    auto g = s.open("c", false);
    EXPECT_EQ(s.on_live(live("c", 5)).what, arrival::held);  // still reading
    ASSERT_TRUE(s.apply("c", g, plan("e1", 4, {3, 4})));
    EXPECT_EQ(s.on_live(live("c", 6)).what, arrival::held);
    auto d = drain(s);
    EXPECT_EQ(d.replayed, (std::vector<std::uint64_t>{3, 4}));
    EXPECT_EQ(d.released, (std::vector<std::uint64_t>{5, 6}));
    auto a = s.on_live(live("c", 7));
    EXPECT_EQ(a.what, arrival::live);
    EXPECT_EQ(a.channel, s.find("c"));
}

TEST(ResumeState, EventsForChannelsNotFollowedAreUnknown) {
    resume_state s(1 << 20);
    s.open("a", false);
    EXPECT_EQ(s.on_live(live("b", 1)).what, arrival::unknown_channel);
    s.open("c", false);
    EXPECT_EQ(s.on_live(live("b", 1)).what, arrival::unknown_channel);
}

TEST(ResumeState, DuplicatesAreSkippedAndAnotherEpochIsAReset) {
    channel_state c;
    c.channel = "c";
    c.epoch = "e1";
    c.offset = 10;
    EXPECT_EQ(resume_state::check_live(c, *make_event("c", 9, "e1")), live_step::skip);
    EXPECT_EQ(resume_state::check_live(c, *make_event("c", 10, "e1")), live_step::skip);
    EXPECT_EQ(resume_state::check_live(c, *make_event("c", 11, "e1")), live_step::deliver);
    EXPECT_EQ(c.offset, 10u);  // checking changes nothing
    const auto ev = make_event("c", 1, "e2");
    EXPECT_EQ(resume_state::check_live(c, *ev), live_step::reset);
    resume_state::move_to_epoch(c, *ev);
    EXPECT_EQ(c.epoch, "e2");
    EXPECT_EQ(c.offset, 0u);
    EXPECT_EQ(resume_state::check_live(c, *ev), live_step::deliver);
    resume_state::advance(c, *ev);
    EXPECT_EQ(c.offset, 1u);
}

TEST(ResumeState, HeldEventsAreBoundedByCount) {
    resume_state s(1 << 30);
    s.open("c", false);
    for (std::size_t i = 0; i < max_held_events; ++i) ASSERT_EQ(s.on_live(live("c", i + 1, "e1", 0)).what, arrival::held);
    EXPECT_EQ(s.on_live(live("c", max_held_events + 1, "e1", 0)).what, arrival::overflow);
}

TEST(ResumeState, HeldEventsAreBoundedByCostEvenWhenEmpty) {
    // Zero-byte events still cost their frame and bookkeeping.
    const auto one = event_cost(*make_event("c", 1, "e1", 0));
    EXPECT_GT(one, 0u);
    resume_state s(10 * one);
    s.open("c", false);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(s.on_live(live("c", i + 1, "e1", 0)).what, arrival::held);
    EXPECT_EQ(s.on_live(live("c", 11, "e1", 0)).what, arrival::overflow);
}

TEST(ResumeState, ReplayFillsAtMostHalfTheOutboxButAlwaysOneWhenIdle) {
    resume_state s(1 << 20);
    auto g = s.open("c", false);
    ASSERT_TRUE(s.apply("c", g, plan("e1", 3, {1, 2, 3})));
    const auto cost = event_cost(*make_event("c", 1, "e1"));
    // Idle outbox: one event goes even if it alone passes half the cap.
    auto step = s.next_replay(0, true, cost);
    ASSERT_EQ(step.what, replay_step::send);
    EXPECT_EQ(s.find("c")->offset, 1u);  // the position follows what was queued
    // Busy outbox: room for one more within half of 4 * cost.
    step = s.next_replay(cost, false, 4 * cost);
    ASSERT_EQ(step.what, replay_step::send);
    EXPECT_EQ(s.next_replay(2 * cost, false, 4 * cost).what, replay_step::wait);
    EXPECT_EQ(s.find("c")->offset, 2u);
    EXPECT_TRUE(s.replaying());
    step = s.next_replay(0, true, 4 * cost);
    ASSERT_EQ(step.what, replay_step::send);
    EXPECT_EQ(s.next_replay(0, true, 4 * cost).what, replay_step::caught_up);
    EXPECT_EQ(s.next_replay(0, true, 4 * cost).what, replay_step::idle);
}

TEST(ResumeState, ChannelsCatchUpInTheOrderTheyWereOpened) {
    resume_state s(1 << 20);
    auto ga = s.open("a", false);
    auto gb = s.open("b", false);
    auto pb = plan("e1", 2, {});
    pb.replay = {make_event("b", 1, "e1"), make_event("b", 2, "e1")};
    auto pa = plan("e1", 1, {});
    pa.replay = {make_event("a", 1, "e1")};
    ASSERT_TRUE(s.apply("b", gb, std::move(pb)));
    ASSERT_TRUE(s.apply("a", ga, std::move(pa)));
    std::vector<std::string> order;
    for (;;) {
        auto step = s.next_replay(0, true, 1 << 20);
        if (step.what == replay_step::idle) break;
        order.push_back(step.channel->channel + (step.what == replay_step::send ? std::to_string(step.event->offset) : "*"));
    }
    EXPECT_EQ(order, (std::vector<std::string>{"a1", "a*", "b1", "b2", "b*"}));
}

TEST(ResumeState, APlanForAClosedOrReopenedChannelIsIgnored) {
    resume_state s(1 << 20);
    auto g1 = s.open("c", false);
    EXPECT_TRUE(s.close("c"));
    EXPECT_FALSE(s.close("c"));
    EXPECT_FALSE(s.apply("c", g1, plan("e1", 1, {1})));
    auto g2 = s.open("c", true);
    EXPECT_NE(g1, g2);
    EXPECT_TRUE(s.find("c")->automatic);
    EXPECT_FALSE(s.apply("c", g1, plan("e1", 1, {1})));  // the earlier subscription's read
    EXPECT_TRUE(s.apply("c", g2, plan("e1", 1, {1})));
    EXPECT_FALSE(s.apply("c", g2, plan("e1", 1, {1})));  // applied once
    EXPECT_TRUE(s.replaying());
    EXPECT_TRUE(s.close("c"));  // closing mid-replay stops the replay
    EXPECT_FALSE(s.replaying());
    EXPECT_EQ(s.next_replay(0, true, 1 << 20).what, replay_step::idle);
}

}  // namespace
}  // namespace herald::stream
