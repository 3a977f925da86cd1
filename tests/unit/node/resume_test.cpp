// node/resume: parse_since (live, earliest, cursor, malformed), read_plan per mode, and plan_resume's
// decisions — live, earliest, an exact cursor, history_gone, epoch_changed, bad_cursor (wrong
// channel set, wrong count, ahead of the stream) and any_epoch — per channel, with resume offsets.
#include "lib/node/resume.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace herald::node {
namespace {

using offs = std::vector<std::uint64_t>;

model::event_ptr make_event(const std::string& channel, std::uint64_t offset, const std::string& epoch) {
    auto ev = std::make_shared<model::event>();
    ev->channel = channel;
    ev->offset = offset;
    ev->epoch = epoch;
    return ev;
}

// What the broker would return for a read after `after`: events (after, last] still held.
broker::channel_history history(const std::string& channel, const std::string& epoch, std::uint64_t first_available,
                                std::uint64_t last, std::optional<std::uint64_t> after) {
    broker::channel_history h;
    h.channel = channel;
    h.epoch = epoch;
    h.last_offset = last;
    h.first_available = first_available;
    if (after)
        for (auto off = std::max(*after + 1, first_available); off <= last; ++off)
            h.events.push_back(make_event(channel, off, epoch));
    return h;
}

offs offsets(const std::vector<model::event_ptr>& evs) {
    offs out;
    for (const auto& e : evs) out.push_back(e->offset);
    return out;
}

since_spec cursor_since(const std::vector<std::string>& channels, const std::vector<std::string>& epochs, offs offsets) {
    since_spec s;
    s.mode = since_mode::cursor;
    s.cursor.names_fp = protocol::names_fingerprint(channels);
    s.cursor.epochs_fp = protocol::epochs_fingerprint(epochs);
    s.cursor.offsets = std::move(offsets);
    return s;
}

const std::vector<std::string> two = {"alerts", "news"};  // sorted, as streams keep them

// ---- parse_since ---------------------------------------------------------------------------

TEST(ParseSince, EmptyIsLive) {
    auto s = parse_since("");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->mode, since_mode::live);
    EXPECT_FALSE(s->any_epoch);
}

TEST(ParseSince, EarliestIsEarliest) {
    auto s = parse_since("earliest");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->mode, since_mode::earliest);
}

TEST(ParseSince, ReadsACursor) {
    auto text = protocol::encode_cursor({protocol::names_fingerprint(two), protocol::epochs_fingerprint({"e", "e"}), {4, 9}});
    auto s = parse_since(text);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->mode, since_mode::cursor);
    EXPECT_EQ(s->cursor.names_fp, protocol::names_fingerprint(two));
    EXPECT_EQ(s->cursor.epochs_fp, protocol::epochs_fingerprint({"e", "e"}));
    EXPECT_EQ(s->cursor.offsets, (offs{4, 9}));
    EXPECT_FALSE(s->any_epoch);
}

TEST(ParseSince, RejectsMalformedText) {
    for (const char* text : {"Latest", "Earliest", "earliest ", "0a1b00000000", "0a1b00000000.x", "12", " "})
        EXPECT_FALSE(parse_since(text)) << "'" << text << "'";
}

// ---- read_plan -----------------------------------------------------------------------------

TEST(ReadPlan, LiveReadsPositionsOnly) {
    since_spec live;
    auto plan = read_plan(live, two, {});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_FALSE(plan[0].after);
    EXPECT_FALSE(plan[1].after);
}

TEST(ReadPlan, EarliestReadsEverything) {
    since_spec s;
    s.mode = since_mode::earliest;
    auto plan = read_plan(s, two, {});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].after, 0u);
    EXPECT_EQ(plan[1].after, 0u);
}

TEST(ReadPlan, FittingCursorReadsAfterEachOffset) {
    auto plan = read_plan(cursor_since(two, {"e", "e"}, {4, 9}), two, {});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].after, 4u);
    EXPECT_EQ(plan[1].after, 9u);
}

TEST(ReadPlan, CursorForOtherChannelsReadsPositionsOnly) {
    auto other = read_plan(cursor_since({"alerts", "prices"}, {"e", "e"}, {4, 9}), two, {});
    ASSERT_EQ(other.size(), 2u);
    EXPECT_FALSE(other[0].after);
    EXPECT_FALSE(other[1].after);
    auto short_cursor = cursor_since(two, {"e", "e"}, {4});
    for (const auto& p : read_plan(short_cursor, two, {})) EXPECT_FALSE(p.after);
    since_spec bad;
    bad.mode = since_mode::bad_cursor;
    for (const auto& p : read_plan(bad, two, {})) EXPECT_FALSE(p.after);
}

// ---- plan_resume ---------------------------------------------------------------------------

TEST(PlanResume, LiveReplaysNothingAndStartsAtTheEnd) {
    since_spec live;
    auto plan = plan_resume(live, two, {history("alerts", "e", 1, 3, std::nullopt), history("news", "e", 5, 8, std::nullopt)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_TRUE(plan[0].replay.empty());
    EXPECT_EQ(plan[0].resume_offset, 3u);
    EXPECT_EQ(plan[0].epoch, "e");
    EXPECT_EQ(plan[1].reset_reason, "");
    EXPECT_EQ(plan[1].resume_offset, 8u);
}

TEST(PlanResume, EarliestReplaysWhatHistoryHolds) {
    since_spec s;
    s.mode = since_mode::earliest;
    auto plan = plan_resume(s, two, {history("alerts", "e", 1, 3, 0), history("news", "e", 5, 8, 0)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_EQ(offsets(plan[0].replay), (offs{1, 2, 3}));
    EXPECT_EQ(plan[0].resume_offset, 3u);
    EXPECT_EQ(plan[1].reset_reason, "");  // history trimmed, but "earliest" asked for what there is
    EXPECT_EQ(offsets(plan[1].replay), (offs{5, 6, 7, 8}));
    EXPECT_EQ(plan[1].resume_offset, 8u);
}

TEST(PlanResume, EarliestOnAnEmptyChannel) {
    since_spec s;
    s.mode = since_mode::earliest;
    auto plan = plan_resume(s, {"news"}, {history("news", "e", 1, 0, 0)});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_TRUE(plan[0].replay.empty());
    EXPECT_EQ(plan[0].resume_offset, 0u);
}

TEST(PlanResume, CursorReplaysExactlyWhatWasMissed) {
    auto since = cursor_since(two, {"e", "e"}, {2, 6});
    auto plan = plan_resume(since, two, {history("alerts", "e", 1, 5, 2), history("news", "e", 3, 6, 6)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_EQ(offsets(plan[0].replay), (offs{3, 4, 5}));
    EXPECT_EQ(plan[0].resume_offset, 5u);
    EXPECT_EQ(plan[1].reset_reason, "");  // up to date: nothing to replay
    EXPECT_TRUE(plan[1].replay.empty());
    EXPECT_EQ(plan[1].resume_offset, 6u);
}

TEST(PlanResume, CursorJustAtTheEdgeOfHistoryIsCovered) {
    // first_available 5: a client that has seen 4 misses nothing.
    auto plan = plan_resume(cursor_since({"news"}, {"e"}, {4}), {"news"}, {history("news", "e", 5, 7, 4)});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_EQ(offsets(plan[0].replay), (offs{5, 6, 7}));
}

TEST(PlanResume, HistoryGoneWhenEventsWereEvicted) {
    // first_available 5: a client that has seen 3 missed 4, which is gone.
    auto plan = plan_resume(cursor_since({"news"}, {"e"}, {3}), {"news"}, {history("news", "e", 5, 7, 3)});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].reset_reason, "history_gone");
    EXPECT_TRUE(plan[0].replay.empty());
    EXPECT_EQ(plan[0].resume_offset, 7u);
    EXPECT_EQ(plan[0].epoch, "e");
}

TEST(PlanResume, HistoryGoneWhenEverythingExpired) {
    auto plan = plan_resume(cursor_since({"news"}, {"e"}, {2}), {"news"}, {history("news", "e", 8, 7, 2)});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].reset_reason, "history_gone");
    EXPECT_EQ(plan[0].resume_offset, 7u);
}

TEST(PlanResume, ResetsAreDecidedPerChannel) {
    auto since = cursor_since(two, {"e", "e"}, {1, 9});
    auto plan = plan_resume(since, two, {history("alerts", "e", 4, 6, 1), history("news", "e", 1, 10, 9)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "history_gone");
    EXPECT_TRUE(plan[0].replay.empty());
    EXPECT_EQ(plan[1].reset_reason, "");
    EXPECT_EQ(offsets(plan[1].replay), (offs{10}));
}

TEST(PlanResume, EpochChangedResetsEveryChannel) {
    auto since = cursor_since(two, {"old", "old"}, {1, 1});
    auto plan = plan_resume(since, two, {history("alerts", "new", 1, 3, 1), history("news", "new", 1, 2, 1)});
    ASSERT_EQ(plan.size(), 2u);
    for (const auto& r : plan) {
        EXPECT_EQ(r.reset_reason, "epoch_changed");
        EXPECT_TRUE(r.replay.empty());
        EXPECT_EQ(r.epoch, "new");
    }
    EXPECT_EQ(plan[0].resume_offset, 3u);
    EXPECT_EQ(plan[1].resume_offset, 2u);
}

TEST(PlanResume, OneChangedEpochIsAnEpochChange) {
    auto since = cursor_since(two, {"e", "e"}, {1, 1});
    auto plan = plan_resume(since, two, {history("alerts", "e", 1, 3, 1), history("news", "e2", 1, 2, 1)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "epoch_changed");
    EXPECT_EQ(plan[1].reset_reason, "epoch_changed");
}

TEST(PlanResume, CursorForAnotherChannelSetIsBad) {
    auto since = cursor_since({"alerts", "prices"}, {"e", "e"}, {1, 1});
    auto plan = plan_resume(since, two, {history("alerts", "e", 1, 3, std::nullopt), history("news", "e", 1, 2, std::nullopt)});
    ASSERT_EQ(plan.size(), 2u);
    for (const auto& r : plan) {
        EXPECT_EQ(r.reset_reason, "bad_cursor");
        EXPECT_TRUE(r.replay.empty());
    }
    EXPECT_EQ(plan[0].resume_offset, 3u);
    EXPECT_EQ(plan[1].resume_offset, 2u);
}

TEST(PlanResume, CursorWithTheWrongNumberOfOffsetsIsBad) {
    auto since = cursor_since(two, {"e", "e"}, {1, 1, 1});
    auto plan = plan_resume(since, two, {history("alerts", "e", 1, 3, std::nullopt), history("news", "e", 1, 2, std::nullopt)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "bad_cursor");
    EXPECT_EQ(plan[1].reset_reason, "bad_cursor");
}

TEST(PlanResume, CursorAheadOfTheStreamIsBad) {
    auto since = cursor_since(two, {"e", "e"}, {9, 1});
    auto plan = plan_resume(since, two, {history("alerts", "e", 1, 3, 9), history("news", "e", 1, 2, 1)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "bad_cursor");
    EXPECT_TRUE(plan[0].replay.empty());
    EXPECT_EQ(plan[0].resume_offset, 3u);
    EXPECT_EQ(plan[1].reset_reason, "");
    EXPECT_EQ(offsets(plan[1].replay), (offs{2}));
}

TEST(PlanResume, BadCursorModeResetsEveryChannel) {
    since_spec s;
    s.mode = since_mode::bad_cursor;
    auto plan = plan_resume(s, two, {history("alerts", "e", 1, 3, std::nullopt), history("news", "e", 1, 2, std::nullopt)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].reset_reason, "bad_cursor");
    EXPECT_EQ(plan[1].reset_reason, "bad_cursor");
    EXPECT_EQ(plan[1].resume_offset, 2u);
}

TEST(PlanResume, AnyEpochIgnoresTheEpochFingerprint) {
    auto since = cursor_since({"news"}, {"whatever"}, {2});
    since.any_epoch = true;
    auto plan = plan_resume(since, {"news"}, {history("news", "current", 1, 4, 2)});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].reset_reason, "");
    EXPECT_EQ(offsets(plan[0].replay), (offs{3, 4}));
    EXPECT_EQ(plan[0].epoch, "current");
}

TEST(PlanResume, AnyEpochStillChecksCoverage) {
    auto since = cursor_since({"news"}, {"x"}, {1});
    since.any_epoch = true;
    auto gone = plan_resume(since, {"news"}, {history("news", "current", 5, 9, 1)});
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0].reset_reason, "history_gone");
    since.cursor.offsets = {20};
    auto ahead = plan_resume(since, {"news"}, {history("news", "current", 5, 9, 20)});
    ASSERT_EQ(ahead.size(), 1u);
    EXPECT_EQ(ahead[0].reset_reason, "bad_cursor");
}

TEST(PlanResume, PlansFromAParsedCursorRoundTrip) {
    // What a stream hands out as its id, parsed back on reconnect, resumes exactly.
    auto text = protocol::encode_cursor(
        {protocol::names_fingerprint(two), protocol::epochs_fingerprint({"e1", "e1"}), {3, 0}});
    auto since = parse_since(text);
    ASSERT_TRUE(since);
    auto plan_reads = read_plan(*since, two, {});
    ASSERT_EQ(plan_reads.size(), 2u);
    auto plan = plan_resume(*since, two,
                            {history("alerts", "e1", 1, 4, plan_reads[0].after), history("news", "e1", 1, 2, plan_reads[1].after)});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(offsets(plan[0].replay), (offs{4}));
    EXPECT_EQ(offsets(plan[1].replay), (offs{1, 2}));
    EXPECT_EQ(plan[0].reset_reason + plan[1].reset_reason, "");
}

}  // namespace
}  // namespace herald::node

// ---- latest and keyed channels ---------------------------------------------------------------

namespace herald::node {
namespace {

// A keyed channel's latest state: (offset, deleted) per key, oldest first.
broker::channel_history keyed_state(const std::string& channel, const std::string& epoch, std::uint64_t floor,
                                    std::uint64_t last, std::vector<std::pair<std::uint64_t, bool>> keys) {
    broker::channel_history h;
    h.channel = channel;
    h.epoch = epoch;
    h.last_offset = last;
    h.first_available = floor;
    h.keyed = true;
    for (auto [off, deleted] : keys) {
        auto ev = std::make_shared<model::event>();
        ev->channel = channel;
        ev->offset = off;
        ev->epoch = epoch;
        ev->key = "k" + std::to_string(off);
        ev->deleted = deleted;
        h.events.push_back(ev);
    }
    return h;
}

const std::vector<std::string> one = {"prices"};

TEST(ParseSince, LatestIsAMode) {
    auto s = parse_since("latest");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->mode, since_mode::latest);
}

TEST(ReadPlan, KeyedChannelsAndLatestReadTheLatestState) {
    auto plan = read_plan(since_spec{}, two, {true, false});
    EXPECT_TRUE(plan[0].latest);
    EXPECT_FALSE(plan[1].latest);
    EXPECT_FALSE(plan[1].after);
    since_spec latest;
    latest.mode = since_mode::latest;
    for (const auto& p : read_plan(latest, two, {})) EXPECT_TRUE(p.latest);
    auto cursor = read_plan(cursor_since(two, {"e", "e"}, {4, 9}), two, {true, false});
    EXPECT_TRUE(cursor[0].latest);
    EXPECT_EQ(cursor[1].after, 9u);
}

TEST(PlanResume, LatestOnAnUnkeyedChannelReplaysTheNewestEvent) {
    since_spec s;
    s.mode = since_mode::latest;
    auto h = history("prices", "e", 1, 7, 6);
    auto plan = plan_resume(s, one, {h});
    EXPECT_EQ(offsets(plan[0].replay), offs({7}));
    EXPECT_EQ(plan[0].resume_offset, 7u);
    EXPECT_TRUE(plan[0].reset_reason.empty());
}

TEST(PlanResume, AKeyedChannelWithoutACursorReplaysItsLiveKeys) {
    for (auto mode : {since_mode::live, since_mode::latest, since_mode::earliest}) {
        since_spec s;
        s.mode = mode;
        auto plan = plan_resume(s, one, {keyed_state("prices", "e", 1, 9, {{2, false}, {5, true}, {9, false}})});
        EXPECT_EQ(offsets(plan[0].replay), offs({2, 9}));
        EXPECT_EQ(plan[0].resume_offset, 9u);
        EXPECT_TRUE(plan[0].reset_reason.empty());
    }
}

TEST(PlanResume, AKeyedCursorCatchesUpByKeyDeletionsIncluded) {
    auto plan = plan_resume(cursor_since(one, {"e"}, {3}), one,
                            {keyed_state("prices", "e", 2, 9, {{2, false}, {5, true}, {9, false}})});
    EXPECT_TRUE(plan[0].reset_reason.empty());
    EXPECT_EQ(offsets(plan[0].replay), offs({5, 9}));
    EXPECT_TRUE(plan[0].replay[0]->deleted);
    EXPECT_EQ(plan[0].resume_offset, 9u);
}

TEST(PlanResume, AKeyedCursorThatIsUpToDateReplaysNothing) {
    auto plan = plan_resume(cursor_since(one, {"e"}, {9}), one, {keyed_state("prices", "e", 1, 9, {{2, false}, {9, false}})});
    EXPECT_TRUE(plan[0].reset_reason.empty());
    EXPECT_TRUE(plan[0].replay.empty());
}

TEST(PlanResume, AKeyedCursorBelowTheFloorResetsThenGetsTheSnapshot) {
    auto plan = plan_resume(cursor_since(one, {"e"}, {3}), one,
                            {keyed_state("prices", "e", 6, 9, {{2, false}, {7, true}, {9, false}})});
    EXPECT_EQ(plan[0].reset_reason, "history_gone");
    EXPECT_EQ(offsets(plan[0].replay), offs({2, 9}));
}

TEST(PlanResume, AKeyedCursorFromAnotherEpochResetsThenGetsTheSnapshot) {
    auto plan = plan_resume(cursor_since(one, {"old"}, {3}), one, {keyed_state("prices", "new", 1, 4, {{4, false}})});
    EXPECT_EQ(plan[0].reset_reason, "epoch_changed");
    EXPECT_EQ(offsets(plan[0].replay), offs({4}));
    EXPECT_EQ(plan[0].epoch, "new");
}

}  // namespace
}  // namespace herald::node
