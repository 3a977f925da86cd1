// http/credentials: the Bearer value of Authorization, a named cookie, and which of ?token=,
// Authorization and the configured cookie the subscriber token comes from (in that order).
#include "lib/http/credentials.hpp"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

TEST(BearerToken, ReadsTheCredentials) {
    EXPECT_EQ(bearer_token("Bearer abc.def"), "abc.def");
    EXPECT_EQ(bearer_token("bearer abc"), "abc");
    EXPECT_EQ(bearer_token("  BEARER \t abc  "), "abc");
}

TEST(BearerToken, OtherSchemesAndEmptyValuesAreNone) {
    for (const char* h : {"", "Bearer", "Bearer ", "Bearer   ", "Basic abc", "Bearerabc", "Token abc"})
        EXPECT_FALSE(bearer_token(h)) << "'" << h << "'";
}

TEST(CookieValue, FindsTheNamedCookie) {
    EXPECT_EQ(cookie_value("a=1; herald_token=xyz; b=2", "herald_token"), "xyz");
    EXPECT_EQ(cookie_value("herald_token = \"quoted\" ", "herald_token"), "quoted");
    EXPECT_EQ(cookie_value("t=", "t"), "");
    EXPECT_EQ(cookie_value("a=1;t=first;t=second", "t"), "first");
}

TEST(CookieValue, NamesMatchExactly) {
    EXPECT_FALSE(cookie_value("xt=1; tt=2", "t"));
    EXPECT_FALSE(cookie_value("T=1", "t"));
    EXPECT_FALSE(cookie_value("", "t"));
    EXPECT_FALSE(cookie_value("t", "t"));
}

TEST(SubscriberToken, QueryThenAuthorizationThenCookie) {
    auto q = subscriber_token({std::string("from-query"), "Bearer from-header", "t=from-cookie", "t"});
    ASSERT_TRUE(q);
    EXPECT_EQ(q->value, "from-query");
    EXPECT_FALSE(q->from_cookie);
    auto h = subscriber_token({std::nullopt, "Bearer from-header", "t=from-cookie", "t"});
    ASSERT_TRUE(h);
    EXPECT_EQ(h->value, "from-header");
    EXPECT_FALSE(h->from_cookie);
    auto c = subscriber_token({std::nullopt, "Basic x", "t=from-cookie", "t"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->value, "from-cookie");
    EXPECT_TRUE(c->from_cookie);
}

TEST(SubscriberToken, CookieIsReadOnlyWhenConfigured) {
    EXPECT_FALSE(subscriber_token({std::nullopt, "", "t=from-cookie", ""}));
    EXPECT_FALSE(subscriber_token({std::nullopt, "", "", "t"}));
    auto empty_query = subscriber_token({std::string(""), "Bearer h", "", ""});
    ASSERT_TRUE(empty_query);  // ?token= given, even empty, is the token presented
    EXPECT_EQ(empty_query->value, "");
}

}  // namespace
}  // namespace herald::http
