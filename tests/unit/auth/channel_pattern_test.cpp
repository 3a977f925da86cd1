// auth/channel_pattern: exact names, trailing-* prefixes and "*" alone; validate_pattern accepts
// those and refuses an empty pattern, a '*' anywhere but at the end, and channel-name errors, each
// message naming the pattern.
#include "lib/auth/channel_pattern.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace herald::auth {
namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(ChannelPattern, AnExactNameMatchesOnlyItself) {
    EXPECT_TRUE(pattern_matches("news", "news"));
    EXPECT_FALSE(pattern_matches("news", "news2"));
    EXPECT_FALSE(pattern_matches("news", "new"));
    EXPECT_FALSE(pattern_matches("news", "News"));
    EXPECT_FALSE(pattern_matches("news", "news.world"));
    EXPECT_FALSE(pattern_matches("news", ""));
    EXPECT_TRUE(pattern_matches("user:alice", "user:alice"));
    EXPECT_FALSE(pattern_matches("user:alice", "user:alice2"));
}

TEST(ChannelPattern, ATrailingStarMatchesThePrefix) {
    EXPECT_TRUE(pattern_matches("stocks.*", "stocks.aapl"));
    EXPECT_TRUE(pattern_matches("stocks.*", "stocks.aapl.bid"));
    EXPECT_TRUE(pattern_matches("stocks.*", "stocks."));
    EXPECT_FALSE(pattern_matches("stocks.*", "stocks"));
    EXPECT_FALSE(pattern_matches("stocks.*", "stocksx"));
    EXPECT_FALSE(pattern_matches("stocks.*", "bonds.x"));
    EXPECT_FALSE(pattern_matches("stocks.*", "Stocks.aapl"));
    EXPECT_FALSE(pattern_matches("stocks.*", "xstocks.aapl"));  // a prefix, not a substring
    EXPECT_TRUE(pattern_matches("stocks*", "stocks"));
    EXPECT_TRUE(pattern_matches("stocks*", "stocksx"));
    EXPECT_TRUE(pattern_matches("stocks*", "stocks.aapl"));
    EXPECT_FALSE(pattern_matches("stocks*", "stock"));
}

TEST(ChannelPattern, StarAloneMatchesEveryChannel) {
    for (const char* ch : {"a", "news", "stocks.aapl", "user:alice", "x/y=z@w-v_u"})
        EXPECT_TRUE(pattern_matches("*", ch)) << ch;
    const std::string longest(200, 'c');
    EXPECT_TRUE(pattern_matches("*", longest));
}

TEST(ChannelPattern, AStarInsideIsNotAWildcard) {
    EXPECT_FALSE(pattern_matches("a*b", "axb"));
    EXPECT_FALSE(pattern_matches("a*b", "ab"));
    EXPECT_FALSE(pattern_matches("*.aapl", "stocks.aapl"));
}

TEST(ChannelPattern, EmptyPatternMatchesNoRealChannel) {
    EXPECT_FALSE(pattern_matches("", "news"));
    EXPECT_FALSE(pattern_matches(std::string_view(), "news"));
}

TEST(ChannelPatternValidate, AcceptsNamesPrefixesAndStar) {
    for (const char* p : {"*", "news", "stocks.*", "stocks*", "user:*", "a", "x/y=z@w-v_u.*", "A-Z_0.9:@/=-"}) {
        auto e = validate_pattern(p);
        EXPECT_FALSE(e) << p << ": " << e->message;
    }
    EXPECT_FALSE(validate_pattern(std::string(200, 'c')));        // the longest name
    EXPECT_FALSE(validate_pattern(std::string(200, 'c') + "*"));  // the longest prefix
}

TEST(ChannelPatternValidate, RefusesAnEmptyPattern) {
    for (std::string_view p : {std::string_view(""), std::string_view()}) {
        auto e = validate_pattern(p);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->code, "invalid_pattern");
        EXPECT_EQ(e->status, 400);
        EXPECT_TRUE(contains(e->message, "channel pattern '' is not valid")) << e->message;
        EXPECT_FALSE(e->hint.empty());
    }
}

TEST(ChannelPatternValidate, RefusesAStarAnywhereButAtTheEnd) {
    for (const std::string& p : std::vector<std::string>{"a*b", "**", "*a", "a**", "*.news", "a*b*", "***"}) {
        auto e = validate_pattern(p);
        ASSERT_TRUE(e) << p;
        EXPECT_EQ(e->code, "invalid_pattern") << p;
        EXPECT_EQ(e->status, 400);
        EXPECT_TRUE(contains(e->message, "channel pattern '" + p + "' is not valid")) << e->message;
        EXPECT_TRUE(contains(e->hint, "'*'")) << e->hint;
    }
}

TEST(ChannelPatternValidate, RefusesCharactersAChannelCannotHaveNamingThePatternAndTheCharacter) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"news feed", "byte 0x20 at position 4"},
        {"a#b*", "'#'"},
        {"caf\xc3\xa9", "byte 0xc3"},
        {"news?*", "'?'"},
        {"a,b", "','"},
        {"tab\there", "byte 0x09"},
    };
    for (const auto& [p, shown] : cases) {
        auto e = validate_pattern(p);
        ASSERT_TRUE(e) << p;
        EXPECT_EQ(e->code, "invalid_channel") << p;
        EXPECT_EQ(e->status, 400);
        EXPECT_TRUE(contains(e->message, "channel pattern '" + p + "'")) << e->message;
        EXPECT_TRUE(contains(e->message, shown)) << e->message;
    }
}

TEST(ChannelPatternValidate, RefusesAPatternLongerThanAChannelName) {
    auto e = validate_pattern(std::string(201, 'c'));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "invalid_channel");
    EXPECT_TRUE(contains(e->message, "201 bytes")) << e->message;
    EXPECT_TRUE(validate_pattern(std::string(201, 'c') + "*"));
}

}  // namespace
}  // namespace herald::auth
