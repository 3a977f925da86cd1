// http/query_params: the inspect API's limit=, since=, prefix= and user=: defaults when absent,
// the values taken, and the exact invalid_parameter error (message and hint) for each bad value.
#include "lib/http/query_params.hpp"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

request_target target(std::string_view t) {
    auto r = parse_target(t);
    EXPECT_TRUE(r) << t;
    return r.value_or(request_target{});
}

TEST(QueryParams, ParseNumberTakesOnlyPlainDecimals) {
    EXPECT_EQ(parse_number("0"), 0u);
    EXPECT_EQ(parse_number("42"), 42u);
    EXPECT_EQ(parse_number("18446744073709551615"), 18446744073709551615ull);
    EXPECT_FALSE(parse_number(""));
    EXPECT_FALSE(parse_number("18446744073709551616"));  // one past 2^64 - 1
    EXPECT_FALSE(parse_number("-1"));
    EXPECT_FALSE(parse_number("+1"));
    EXPECT_FALSE(parse_number(" 1"));
    EXPECT_FALSE(parse_number("1 "));
    EXPECT_FALSE(parse_number("10x"));
    EXPECT_FALSE(parse_number("0x10"));
}

TEST(QueryParams, LimitDefaultAndRange) {
    auto d = parse_limit(target("/v1/channels"), 100, 1000);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, 100u);
    auto one = parse_limit(target("/v1/channels?limit=1"), 100, 1000);
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, 1u);
    auto max = parse_limit(target("/v1/channels?limit=1000"), 100, 1000);
    ASSERT_TRUE(max);
    EXPECT_EQ(*max, 1000u);
}

TEST(QueryParams, LimitRefusedWithTheValueNamed) {
    for (const char* bad : {"0", "1001", "abc", "-5", "", "99999999999999999999999"}) {
        auto r = parse_limit(target(std::string("/v1/channels?limit=") + bad), 100, 1000);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.err().code, "invalid_parameter");
        EXPECT_EQ(r.err().status, 400);
        EXPECT_EQ(r.err().message, std::string("limit '") + bad + "' is not a number from 1 to 1000");
        EXPECT_EQ(r.err().hint, "give limit=N with N from 1 to 1000");
    }
}

TEST(QueryParams, SinceOffsetEarliestOrAbsent) {
    auto none = parse_since_offset(target("/v1/channels/a/events"));
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto earliest = parse_since_offset(target("/v1/channels/a/events?since=earliest"));
    ASSERT_TRUE(earliest);
    EXPECT_EQ(*earliest, 0u);
    auto five = parse_since_offset(target("/v1/channels/a/events?since=5"));
    ASSERT_TRUE(five);
    EXPECT_EQ(*five, 5u);
    auto zero = parse_since_offset(target("/v1/channels/a/events?since=0"));
    ASSERT_TRUE(zero);
    EXPECT_EQ(*zero, 0u);
}

TEST(QueryParams, SinceRefused) {
    for (const char* bad : {"latest", "", "e1.5", "-1", "Earliest"}) {
        auto r = parse_since_offset(target(std::string("/v1/channels/a/events?since=") + bad));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.err().code, "invalid_parameter");
        EXPECT_EQ(r.err().status, 400);
        EXPECT_EQ(r.err().message, std::string("since '") + bad + "' is not an offset");
        EXPECT_EQ(r.err().hint,
                  "give since=OFFSET (events after it) or since=earliest (all of history); leave it out for the "
                  "newest events");
    }
}

TEST(QueryParams, Prefix) {
    auto none = parse_prefix(target("/v1/channels"));
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, "");
    auto empty = parse_prefix(target("/v1/channels?prefix="));
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, "");
    auto news = parse_prefix(target("/v1/channels?prefix=news."));
    ASSERT_TRUE(news);
    EXPECT_EQ(*news, "news.");
    auto bad = parse_prefix(target("/v1/channels?prefix=news*"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.err().code, "invalid_parameter");
    EXPECT_EQ(bad.err().message, "prefix: channel 'news*' has invalid character '*' at position 4");
    EXPECT_EQ(bad.err().hint,
              "a prefix is the start of channel names (prefix=news. lists news.*); it takes no wildcards");
}

TEST(QueryParams, User) {
    auto none = parse_user(target("/v1/connections"));
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto alice = parse_user(target("/v1/connections?user=alice"));
    ASSERT_TRUE(alice);
    EXPECT_EQ(*alice, "alice");
    auto empty = parse_user(target("/v1/connections?user="));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.err().code, "invalid_parameter");
    EXPECT_EQ(empty.err().message, "user is empty");
    EXPECT_EQ(empty.err().hint, "give user=ID (a token's sub), or leave it out");
}

}  // namespace
}  // namespace herald::http
