// broker/redis_url: the accepted forms (host, port, db, password, user, IPv6), defaults, and a
// clear error naming the URL (password masked) for everything else, rediss:// included.
#include "lib/broker/redis_url.hpp"

#include <gtest/gtest.h>

namespace herald::broker {
namespace {

TEST(RedisUrl, ParsesHostPortAndDb) {
    auto u = parse_redis_url("redis://127.0.0.1:6380/3");
    ASSERT_TRUE(u.ok()) << u.err().message;
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 6380);
    EXPECT_EQ(u->db, 3);
    EXPECT_TRUE(u->password.empty());
    EXPECT_EQ(u->display(), "redis://127.0.0.1:6380/3");
}

TEST(RedisUrl, DefaultsPortAndDb) {
    auto u = parse_redis_url("redis://cache.internal");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->host, "cache.internal");
    EXPECT_EQ(u->port, 6379);
    EXPECT_EQ(u->db, 0);
    EXPECT_TRUE(parse_redis_url("redis://h:1/").ok());
}

TEST(RedisUrl, ParsesPasswordAndUserAndMasksThem) {
    auto u = parse_redis_url("redis://:s3cret@h:1/2");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->password, "s3cret");
    EXPECT_TRUE(u->user.empty());
    EXPECT_EQ(u->display(), "redis://:***@h:1/2");
    auto v = parse_redis_url("redis://app:p@ss@h:1");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->user, "app");
    EXPECT_EQ(v->password, "p@ss");
    EXPECT_EQ(v->display().find("p@ss"), std::string::npos);
}

TEST(RedisUrl, ParsesBracketedIpv6) {
    auto u = parse_redis_url("redis://[::1]:7000/1");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 7000);
    EXPECT_EQ(u->display(), "redis://[::1]:7000/1");
}

TEST(RedisUrl, RefusesTlsWithAClearReason) {
    auto u = parse_redis_url("rediss://h:6380");
    ASSERT_FALSE(u.ok());
    EXPECT_NE(u.err().message.find("TLS"), std::string::npos) << u.err().message;
    EXPECT_NE(u.err().message.find("not available in this build"), std::string::npos);
    EXPECT_NE(u.err().message.find("rediss://h:6380"), std::string::npos);
}

TEST(RedisUrl, RefusesEverythingElseNamingTheUrl) {
    for (const char* bad : {"", "localhost:6379", "http://h:1", "redis://", "redis://:6379", "redis://h:", "redis://h:0",
                            "redis://h:70000", "redis://h:12ab", "redis://h:1/x", "redis://h:1/1/2", "redis://h:1?db=2",
                            "redis://nopass@h:1", "redis://:@h:1", "redis://[::1:1", "unix:///tmp/r.sock"}) {
        auto u = parse_redis_url(bad);
        EXPECT_FALSE(u.ok()) << bad;
        if (u.ok()) continue;
        EXPECT_EQ(u.err().status, 400) << bad;
        EXPECT_NE(u.err().message.find("invalid broker URL"), std::string::npos) << u.err().message;
    }
    auto u = parse_redis_url("redis://:topsecret@h:99999");
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.err().message.find("topsecret"), std::string::npos) << "the password must not leak: " << u.err().message;
    EXPECT_NE(u.err().message.find("99999"), std::string::npos);
}

// Found by fuzz/redis_url_fuzz: "redis://[[]:6379" was taken as the host "[", which display()
// then wrote as a URL that no longer parses.
TEST(RedisUrl, RefusesBracketsInsideTheHost) {
    for (const char* bad : {"redis://[[]:6379", "redis://[[::1]:6379", "redis://a]b:6379", "redis://a[b", "redis://[a[b]"}) {
        auto u = parse_redis_url(bad);
        EXPECT_FALSE(u.ok()) << bad;
        if (!u.ok()) EXPECT_NE(u.err().message.find("IPv6"), std::string::npos) << u.err().message;
    }
    auto v6 = parse_redis_url("redis://[::1]:6380");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "::1");
    auto back = parse_redis_url(v6->display());
    ASSERT_TRUE(back.ok()) << v6->display();
    EXPECT_EQ(back->host, "::1");
    EXPECT_EQ(back->port, 6380);
}

}  // namespace
}  // namespace herald::broker
