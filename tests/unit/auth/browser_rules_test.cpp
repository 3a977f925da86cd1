// Origin allow-list, CORS grants, cross-origin detection and internal Host names.
#include "lib/auth/browser_rules.hpp"

#include <gtest/gtest.h>

namespace herald::auth {
namespace {

const std::vector<std::string> allowed = {"https://app.example", "http://localhost:3000"};

TEST(BrowserRules, OriginsCompareExactlyAndCaseInsensitively) {
    EXPECT_TRUE(origin_listed("https://app.example", allowed));
    EXPECT_TRUE(origin_listed("HTTPS://APP.EXAMPLE", allowed));
    EXPECT_TRUE(origin_listed("http://localhost:3000", allowed));
    for (const char* o : {"", "null", "http://app.example", "https://app.example:443", "https://www.app.example",
                          "https://app.example.evil", "https://app.examplee", "http://localhost:3001", "*"})
        EXPECT_FALSE(origin_listed(o, allowed)) << o;
}

TEST(BrowserRules, CorsGrantDependsOnTheAllowList) {
    EXPECT_EQ(cors_for("", allowed), cors_grant::none);
    EXPECT_EQ(cors_for("https://app.example", allowed), cors_grant::credentialed);
    EXPECT_EQ(cors_for("https://evil.example", allowed), cors_grant::none);
    EXPECT_EQ(cors_for("https://evil.example", {}), cors_grant::any);
    EXPECT_EQ(cors_for("", {}), cors_grant::none);
}

TEST(BrowserRules, AllowOriginValueFollowsTheGrant) {
    EXPECT_EQ(allow_origin_value("", allowed), "");
    EXPECT_EQ(allow_origin_value("https://app.example", allowed), "https://app.example");
    EXPECT_EQ(allow_origin_value("https://evil.example", allowed), "");
    EXPECT_EQ(allow_origin_value("https://evil.example", {}), "*");
    EXPECT_EQ(allow_origin_value("", {}), "");
}

TEST(BrowserRules, CrossOriginIsAnOriginHeaderOrACrossOrSameSiteFetch) {
    EXPECT_TRUE(browser_cross_origin("http://evil.example", ""));
    EXPECT_TRUE(browser_cross_origin("null", ""));
    EXPECT_TRUE(browser_cross_origin("", "cross-site"));
    EXPECT_TRUE(browser_cross_origin("", "Same-Site"));
    EXPECT_FALSE(browser_cross_origin("", "same-origin"));
    EXPECT_FALSE(browser_cross_origin("", "none"));
    EXPECT_FALSE(browser_cross_origin("", ""));
}

TEST(BrowserRules, InternalHostsAreLoopbackNamesIpLiteralsOrConfiguredNames) {
    const std::vector<std::string> names = {"herald.svc"};
    for (const char* h : {"localhost", "LOCALHOST:8081", "localhost.", "app.localhost", "127.0.0.1", "127.0.0.1:8081",
                          "10.0.0.7:1", "[::1]", "[::1]:8081", "[2001:db8::1]:80", "herald.svc", "Herald.Svc:9"})
        EXPECT_TRUE(internal_host_allowed(h, names)) << h;
    for (const char* h : {"", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "herald.svc.evil",
                          "[::1", "[::1]x", "[nothost]", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:123456", ":8081",
                          "0x7f000001", "127.1", "herald.svc:"})
        EXPECT_FALSE(internal_host_allowed(h, names)) << h;
}

TEST(BrowserRules, AnIpv4HostIsADottedQuadAsInetPtonReadsIt) {
    for (const char* h : {"0.0.0.0", "255.255.255.255", "10.20.30.40:99", "1.2.3.0"})
        EXPECT_TRUE(internal_host_allowed(h, {})) << h;
    for (const char* h : {"256.1.1.1", "1.2.3.04", "01.2.3.4", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3",
                          "1.2.3.4a", "1.2.3.-4", "1.2.3.1000"})
        EXPECT_FALSE(internal_host_allowed(h, {})) << h;
}

}  // namespace
}  // namespace herald::auth
