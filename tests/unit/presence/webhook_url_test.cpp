// presence/webhook_url: accepted forms (host, port, path, query, IPv6) and hostile or unsupported
// inputs refused with invalid_webhook_url and a message naming the problem: https, other schemes,
// user info, bad ports, CR/LF and spaces (request-line injection), fragments, bad escapes.
#include "lib/presence/webhook_url.hpp"

#include <gtest/gtest.h>

namespace herald::presence {
namespace {

webhook_url parsed(const std::string& text) {
    auto r = parse_webhook_url(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.err().message);
    return r.ok() ? r.value() : webhook_url{};
}

model::error refused(const std::string& text) {
    auto r = parse_webhook_url(text);
    EXPECT_FALSE(r.ok()) << text << " should be refused";
    if (r.ok()) return {};
    EXPECT_EQ(r.err().code, "invalid_webhook_url");
    EXPECT_FALSE(r.err().hint.empty());
    return r.err();
}

TEST(WebhookUrl, AcceptsHostPortPathQuery) {
    auto u = parsed("http://127.0.0.1:3000/hooks/herald?k=v&x=%2F");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, "3000");
    EXPECT_EQ(u.target, "/hooks/herald?k=v&x=%2F");
    EXPECT_EQ(u.host_header(), "127.0.0.1:3000");
}

TEST(WebhookUrl, DefaultsPortAndPath) {
    auto u = parsed("http://app.internal");
    EXPECT_EQ(u.port, "80");
    EXPECT_EQ(u.target, "/");
    EXPECT_EQ(parsed("HTTP://localhost:8080?x=1").target, "/?x=1");
    EXPECT_EQ(parsed("http://localhost:08080/").port, "8080");
}

TEST(WebhookUrl, AcceptsBracketedIpv6) {
    auto u = parsed("http://[::1]:9000/h");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, "9000");
    EXPECT_EQ(u.host_header(), "[::1]:9000");
}

TEST(WebhookUrl, RefusesHttpsWithProxyHint) {
    auto e = refused("https://127.0.0.1:3000/hooks");
    EXPECT_NE(e.message.find("https"), std::string::npos);
    EXPECT_NE(e.hint.find("proxy"), std::string::npos);
    refused("HTTPS://example.com/");
}

TEST(WebhookUrl, RefusesOtherSchemesAndNoScheme) {
    EXPECT_NE(refused("ftp://127.0.0.1/x").message.find("ftp"), std::string::npos);
    refused("127.0.0.1:3000/hooks");
    refused("unix:///run/app.sock");
    refused("file:///etc/passwd");
    refused("");
    refused("http://");
    refused("http:///path");
}

TEST(WebhookUrl, RefusesBadPorts) {
    for (const char* t : {"http://h:0/", "http://h:65536/", "http://h:99999999999/", "http://h:-1/", "http://h:/",
                          "http://h:80a/", "http://h:1:2/", "http://[::1]:x/", "http://[::1]x/"})
        EXPECT_NE(refused(t).message, "") << t;
}

TEST(WebhookUrl, RefusesInjectionAndUnsafeCharacters) {
    refused("http://127.0.0.1/a\r\nHost: evil");
    refused("http://127.0.0.1/a b");
    refused("http://127.0.0.1/a\tb");
    refused(std::string("http://127.0.0.1/a\0b", 20));
    refused("http://127.0.0.1/caf\xc3\xa9");
    refused("http://127.0.0.1/a#frag");
    refused("http://127.0.0.1/a<b>");
    refused("http://127.0.0.1/%zz");
    refused("http://127.0.0.1/%4");
    refused("http://user:pw@127.0.0.1/");
    refused("http://evil.com@127.0.0.1/");
    refused("http://[::1/");
    refused("http://[zz::1]/");
    refused("http://[127.0.0.1]/");
    refused("http://ho st/");
    refused("http://h/o\"st");
    refused("http://.h/");
    refused("http://a..b/");
    refused("http://" + std::string(3000, 'a') + "/");
}

TEST(WebhookUrl, RefusalMessageNeverEchoesControlBytes) {
    auto e = refused("http://127.0.0.1/a\r\nX: y");
    EXPECT_EQ(e.message.find('\r'), std::string::npos);
    EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace herald::presence
