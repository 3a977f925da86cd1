// http/request_target: the path and query of a request target, both percent-decoded ('+' is a
// space only in the query), repeated parameters, and malformed escapes refused.
#include "lib/http/request_target.hpp"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

TEST(RequestTarget, SplitsPathAndQuery) {
    auto t = parse_target("/v1/sse?channel=news&channel=sports&token=abc");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/v1/sse");
    EXPECT_EQ(t->param("token"), "abc");
    EXPECT_EQ(t->params("channel"), (std::vector<std::string>{"news", "sports"}));
    EXPECT_EQ(t->param("channel"), "news");  // the first
    EXPECT_FALSE(t->param("since"));
    EXPECT_TRUE(t->params("since").empty());
}

TEST(RequestTarget, PathWithoutQuery) {
    auto t = parse_target("/healthz");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/healthz");
    EXPECT_TRUE(t->query.empty());
}

TEST(RequestTarget, DecodesEscapesAndPlusOnlyInTheQuery) {
    auto t = parse_target("/v1/channels/a%2Fb+c/events?event=x+y&q=%41%62&name=a%2bb");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/v1/channels/a/b+c/events");
    EXPECT_EQ(t->param("event"), "x y");
    EXPECT_EQ(t->param("q"), "Ab");
    EXPECT_EQ(t->param("name"), "a+b");
}

TEST(RequestTarget, EmptyPairsAndValues) {
    auto t = parse_target("/x?&a&b=&&c=1&");
    ASSERT_TRUE(t);
    ASSERT_EQ(t->query.size(), 3u);
    EXPECT_EQ(t->param("a"), "");
    EXPECT_EQ(t->param("b"), "");
    EXPECT_EQ(t->param("c"), "1");
    auto v = parse_target("/x?k=a=b");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->param("k"), "a=b");  // the first '=' splits
}

TEST(RequestTarget, MalformedEscapesAreRefused) {
    for (const char* bad : {"/a%", "/a%4", "/a%zz", "/x?k=%g1", "/x?%=1", "/x?k=1%"})
        EXPECT_FALSE(parse_target(bad)) << bad;
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("%e2%82%AC", false), "\xe2\x82\xac");
    EXPECT_EQ(percent_decode("", false), "");
    EXPECT_FALSE(percent_decode("%", false));
}

TEST(PercentDecode, KeepsTheRunsBetweenEscapes) {
    EXPECT_EQ(percent_decode("plain/path", false), "plain/path");
    EXPECT_EQ(percent_decode("a%20b+c%2Bd", true), "a b c+d");
    EXPECT_EQ(percent_decode("%41%42c", false), "ABc");
    EXPECT_EQ(percent_decode("ab%41", false), "abA");
    EXPECT_EQ(percent_decode("++", true), "  ");
    EXPECT_FALSE(percent_decode("ab%4", false));
    EXPECT_FALSE(percent_decode("ab%4g", false));
}

}  // namespace
}  // namespace herald::http
