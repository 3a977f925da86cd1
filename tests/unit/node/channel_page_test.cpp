// node/channel_page: one page of the channel list from the broker's channels and this node's
// subscribed ones: merged by name, each name once, cut at the limit with `more` set, and the
// subscribed channels the broker holds nothing for marked for a position look-up.
#include "lib/node/channel_page.hpp"

#include <gtest/gtest.h>

namespace herald::node {
namespace {

using local_list = std::vector<std::pair<std::string, std::size_t>>;

std::vector<broker::channel_info> held(std::initializer_list<const char*> names) {
    std::vector<broker::channel_info> out;
    for (const char* n : names) {
        broker::channel_info i;
        i.channel = n;
        i.epoch = "e";
        i.last_offset = 7;
        out.push_back(std::move(i));
    }
    return out;
}

std::vector<std::string> names(const channel_page& pg) {
    std::vector<std::string> out;
    for (const auto& i : pg.infos) out.push_back(i.channel);
    return out;
}

TEST(ChannelPage, MergesByNameEachOnce) {
    auto pg = merge_channel_page(held({"a", "c", "d"}), local_list{{"b", 2}, {"c", 5}}, 10);
    EXPECT_EQ(names(pg), (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_EQ(pg.subscribers, (std::vector<std::size_t>{0, 2, 5, 0}));
    EXPECT_EQ(pg.unknown, (std::vector<std::size_t>{1}));  // b: subscribers only
    EXPECT_EQ(pg.infos[1].epoch, "");
    EXPECT_EQ(pg.infos[2].epoch, "e");  // c: the broker's info, this node's count
    EXPECT_FALSE(pg.more);
}

TEST(ChannelPage, CutsAtTheLimitAndSaysMore) {
    auto pg = merge_channel_page(held({"a", "c", "e"}), local_list{{"b", 1}, {"d", 1}}, 3);
    EXPECT_EQ(names(pg), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(pg.more);
    pg = merge_channel_page(held({"a", "b"}), local_list{{"a", 1}, {"b", 1}}, 2);
    EXPECT_EQ(names(pg), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(pg.more);  // the same two names from both sources fill the page exactly
}

TEST(ChannelPage, EitherSourceMayBeEmpty) {
    auto pg = merge_channel_page({}, local_list{{"x", 3}}, 5);
    EXPECT_EQ(names(pg), (std::vector<std::string>{"x"}));
    EXPECT_EQ(pg.unknown, (std::vector<std::size_t>{0}));
    pg = merge_channel_page(held({"x"}), {}, 5);
    EXPECT_EQ(pg.subscribers, (std::vector<std::size_t>{0}));
    EXPECT_TRUE(pg.unknown.empty());
    pg = merge_channel_page({}, {}, 5);
    EXPECT_TRUE(pg.infos.empty());
    EXPECT_FALSE(pg.more);
}

}  // namespace
}  // namespace herald::node
