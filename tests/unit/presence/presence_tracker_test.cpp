// presence_tracker: what the store hears and when (debounce, in flight, retries), on a manual clock.
#include "lib/presence/presence_tracker.hpp"

#include <gtest/gtest.h>

namespace herald::presence {
namespace {

std::vector<std::pair<std::string, std::uint64_t>> names(const std::vector<node_count>& v) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const auto& c : v) out.emplace_back((c.kind == subject::user ? "u:" : "c:") + c.name, c.count);
    std::sort(out.begin(), out.end());
    return out;
}
using pairs = std::vector<std::pair<std::string, std::uint64_t>>;

TEST(PresenceTracker, AFirstStreamIsReportedAtOnceAndLaterChangesAsTheLatestCount) {
    presence_tracker t(5000);
    t.add(subject::user, "42", 0);
    t.add(subject::channel, "news", 0);
    t.add(subject::channel, "news", 0);
    auto due = t.take_due(0);
    EXPECT_EQ(names(due), (pairs{{"c:news", 2}, {"u:42", 1}}));
    t.confirmed(due);
    EXPECT_TRUE(t.take_due(1).empty());
    t.add(subject::channel, "news", 2);
    t.remove(subject::channel, "news", 3);
    t.remove(subject::channel, "news", 3);
    due = t.take_due(4);
    EXPECT_EQ(names(due), (pairs{{"c:news", 1}}));
}

TEST(PresenceTracker, ZeroWaitsForTheDebounceWindowAndAReturnWithinItSendsNothing) {
    presence_tracker t(5000);
    t.add(subject::user, "42", 0);
    t.confirmed(t.take_due(0));
    t.remove(subject::user, "42", 1000);
    EXPECT_TRUE(t.take_due(5999).empty());
    t.add(subject::user, "42", 5500);  // reconnected within the window
    EXPECT_TRUE(t.take_due(7000).empty());
    EXPECT_EQ(t.count(subject::user, "42"), 1u);
    t.remove(subject::user, "42", 8000);
    EXPECT_TRUE(t.take_due(12999).empty());
    auto due = t.take_due(13000);
    EXPECT_EQ(names(due), (pairs{{"u:42", 0}}));
    t.confirmed(due);
    EXPECT_EQ(t.tracked(), 0u);
}

TEST(PresenceTracker, AKeyOpenedAndClosedBeforeAnyReportIsNeverReported) {
    presence_tracker t(5000);
    t.add(subject::user, "7", 0);
    t.remove(subject::user, "7", 1);
    EXPECT_TRUE(t.take_due(10).empty());
    EXPECT_EQ(t.tracked(), 0u);
}

TEST(PresenceTracker, AFailedReportIsRetriedWithTheLatestCount) {
    presence_tracker t(0);
    t.add(subject::user, "42", 0);
    auto due = t.take_due(0);
    ASSERT_EQ(due.size(), 1u);
    t.add(subject::user, "42", 1);   // changes while in flight
    EXPECT_TRUE(t.take_due(1).empty());  // one report in flight per key
    t.failed(due);
    EXPECT_EQ(names(t.take_due(2)), (pairs{{"u:42", 2}}));
}

TEST(PresenceTracker, AChangeWhileInFlightIsReportedAfterTheConfirmation) {
    presence_tracker t(0);
    t.add(subject::user, "42", 0);
    auto due = t.take_due(0);
    t.remove(subject::user, "42", 1);
    t.confirmed(due);
    EXPECT_EQ(names(t.take_due(2)), (pairs{{"u:42", 0}}));
}

TEST(PresenceTracker, ReportAllSendsEveryPresentCountAgain) {
    presence_tracker t(0);
    t.add(subject::user, "a", 0);
    t.add(subject::channel, "x", 0);
    t.confirmed(t.take_due(0));
    t.report_all();
    EXPECT_EQ(names(t.take_due(1)), (pairs{{"c:x", 1}, {"u:a", 1}}));
    auto present = t.present(subject::user);
    EXPECT_EQ(present, std::vector<std::string>{"a"});
}

TEST(PresenceTracker, ReportAllIncludesAZeroWaitingForItsWindow) {
    presence_tracker t(1000);
    t.add(subject::user, "gone", 0);
    t.confirmed(t.take_due(0));
    t.remove(subject::user, "gone", 10);
    t.report_all();
    EXPECT_TRUE(t.take_due(500).empty());  // still within its window
    auto due = t.take_due(1010);
    EXPECT_EQ(names(due), (pairs{{"u:gone", 0}}));
    t.confirmed(due);
    EXPECT_EQ(t.tracked(), 0u);
}

TEST(PresenceTracker, TakesAtMostMaxAndLeavesTheRestForTheNextCall) {
    presence_tracker t(0);
    for (int i = 0; i < 5; ++i) t.add(subject::user, std::to_string(i), 0);
    auto first = t.take_due(0, 3);
    EXPECT_EQ(first.size(), 3u);
    t.confirmed(first);
    auto rest = t.take_due(0, 3);
    EXPECT_EQ(rest.size(), 2u);
    t.confirmed(rest);
    EXPECT_TRUE(t.take_due(0).empty());
}

TEST(PresenceTracker, UnmatchedRemovesAndSameNamesOfTwoKindsStayApart) {
    presence_tracker t(0);
    t.remove(subject::user, "ghost", 0);
    EXPECT_EQ(t.tracked(), 0u);
    t.add(subject::user, "same", 0);
    t.add(subject::channel, "same", 0);
    t.remove(subject::channel, "same", 0);
    EXPECT_EQ(t.count(subject::user, "same"), 1u);
    EXPECT_EQ(t.count(subject::channel, "same"), 0u);
}

}  // namespace
}  // namespace herald::presence
