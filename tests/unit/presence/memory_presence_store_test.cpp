// memory_presence_store: transitions at 0 only, positions, pages by name, totals.
#include "lib/presence/memory_presence_store.hpp"

#include <gtest/gtest.h>

namespace herald::presence {
namespace {

std::vector<presence_change> apply(memory_presence_store& s, std::vector<node_count> c) {
    std::vector<presence_change> out;
    s.apply(std::move(c), [&](model::result<std::vector<presence_change>> r) { out = r.value(); });
    return out;
}

TEST(MemoryPresenceStore, TransitionsOnlyWhenASumCrossesZeroWithRisingPositions) {
    memory_presence_store s("n1");
    auto c = apply(s, {{subject::user, "42", 1}, {subject::channel, "42", 3}});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].kind, change_kind::user_online);
    EXPECT_EQ(c[0].position, 1u);
    EXPECT_EQ(c[1].kind, change_kind::channel_occupied);
    EXPECT_EQ(c[1].position, 2u);
    EXPECT_TRUE(apply(s, {{subject::user, "42", 2}}).empty());
    c = apply(s, {{subject::user, "42", 0}});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, change_kind::user_offline);
    EXPECT_EQ(c[0].name, "42");
    EXPECT_EQ(c[0].position, 3u);
    EXPECT_TRUE(apply(s, {{subject::user, "never", 0}}).empty());
    EXPECT_EQ(change_name(change_kind::channel_vacated), "channel.vacated");
}

TEST(MemoryPresenceStore, PagesGoByNameWithThePositionOfTheNewestTransition) {
    memory_presence_store s("n1");
    std::vector<node_count> counts;
    for (int i = 0; i < 5; ++i) counts.push_back({subject::user, "u" + std::to_string(i), std::uint64_t(i + 1)});
    apply(s, counts);
    presence_page p;
    s.page(subject::user, "", 2, [&](model::result<presence_page> r) { p = r.value(); });
    EXPECT_EQ(p.position, 5u);
    ASSERT_EQ(p.entries.size(), 2u);
    EXPECT_EQ(p.entries[1].name, "u1");
    EXPECT_EQ(p.entries[1].count, 2u);
    EXPECT_TRUE(p.more);
    s.page(subject::user, "u3", 2, [&](model::result<presence_page> r) { p = r.value(); });
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].name, "u4");
    EXPECT_FALSE(p.more);
    std::vector<std::uint64_t> t;
    s.totals(subject::user, {"u2", "nobody"}, [&](model::result<std::vector<std::uint64_t>> r) { t = r.value(); });
    EXPECT_EQ(t, (std::vector<std::uint64_t>{3, 0}));
}

}  // namespace
}  // namespace herald::presence
