// client/http_client: the parts that need no server — URL parsing (forms accepted, https and bad
// ports refused), query encoding, turning a reply body into a named error, and the error for a
// port where nothing listens. event_stream needs a server and is covered by tests/integration.
#include "lib/client/http_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace herald::client {
namespace {

server_url parsed(const std::string& text) {
    auto r = parse_url(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.err().message);
    return r.ok() ? r.value() : server_url{};
}

model::error refused(const std::string& text) {
    auto r = parse_url(text);
    EXPECT_FALSE(r.ok()) << text << " should be refused";
    return r.ok() ? model::error{} : r.err();
}

TEST(HttpClient, ParsesSchemeHostAndPort) {
    auto u = parsed("http://127.0.0.1:8081");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, "8081");
    EXPECT_EQ(u.text, "http://127.0.0.1:8081");
}

TEST(HttpClient, ParsesHostAndPortWithoutScheme) {
    auto u = parsed("localhost:9000");
    EXPECT_EQ(u.host, "localhost");
    EXPECT_EQ(u.port, "9000");
}

TEST(HttpClient, DefaultsToPort80) {
    auto u = parsed("http://example.com");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.port, "80");
    EXPECT_EQ(parsed("example.com").port, "80");
}

TEST(HttpClient, IgnoresAPath) {
    auto u = parsed("http://h:8081/v1/publish?x=1");
    EXPECT_EQ(u.host, "h");
    EXPECT_EQ(u.port, "8081");
    EXPECT_EQ(u.text, "http://h:8081/v1/publish?x=1");
    EXPECT_EQ(parsed("http://h/").port, "80");
}

TEST(HttpClient, ParsesBracketedIpv6) {
    auto u = parsed("http://[::1]:8081");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, "8081");
    auto d = parsed("http://[fe80::1]");
    EXPECT_EQ(d.host, "fe80::1");
    EXPECT_EQ(d.port, "80");
}

TEST(HttpClient, RefusesHttps) {
    auto e = refused("https://example.com");
    EXPECT_EQ(e.code, "invalid_url");
    EXPECT_EQ(e.message, "URL 'https://example.com' uses https, which the CLI does not speak");
    EXPECT_FALSE(e.hint.empty());
}

TEST(HttpClient, RefusesMissingHost) {
    EXPECT_EQ(refused("").message, "URL '' has no host");
    EXPECT_EQ(refused("http://").message, "URL 'http://' has no host");
    EXPECT_EQ(refused("http:///path").code, "invalid_url");
}

TEST(HttpClient, RefusesBadPorts) {
    for (const char* text : {"http://h:", "http://h:abc", "h:80x", "http://h:-1", "http://h: 80"}) {
        auto e = refused(text);
        EXPECT_EQ(e.code, "invalid_url") << text;
        EXPECT_EQ(e.message, "URL '" + std::string(text) + "' has an invalid port");
    }
}

TEST(HttpClient, RefusesUnclosedIpv6Bracket) { EXPECT_EQ(refused("http://[::1:8081").code, "invalid_url"); }

TEST(HttpClient, RefusesAnEmptyHostBeforeThePort) {
    EXPECT_EQ(refused("http://:8081").code, "invalid_url");
    EXPECT_EQ(refused(":8081").code, "invalid_url");
}

TEST(HttpClient, RefusesPortsOutOfRange) {
    EXPECT_EQ(refused("http://h:99999").code, "invalid_url");
    EXPECT_EQ(refused("http://h:0").code, "invalid_url");
    EXPECT_EQ(parsed("http://h:65535").port, "65535");
}

TEST(HttpClient, UrlEncodeKeepsChannelCharacters) {
    EXPECT_EQ(url_encode("news"), "news");
    EXPECT_EQ(url_encode("user:42/inbox@acme.x_y-z~"), "user:42/inbox@acme.x_y-z~");
    EXPECT_EQ(url_encode(""), "");
}

TEST(HttpClient, UrlEncodeEscapesTheRest) {
    EXPECT_EQ(url_encode("a b&c=d?e#f+g%"), "a%20b%26c%3Dd%3Fe%23f%2Bg%25");
    EXPECT_EQ(url_encode("caf\xc3\xa9"), "caf%C3%A9");
    EXPECT_EQ(url_encode(std::string("\0\n\x7f\xff", 4)), "%00%0A%7F%FF");
    EXPECT_EQ(url_encode("0a1b00000000.3.4"), "0a1b00000000.3.4");  // cursors stay readable
}

TEST(HttpClient, ReplyErrorReadsHeraldsErrorBody) {
    http_reply reply{400, R"({"error":{"code":"invalid_channel","message":"bad name","hint":"fix it"}})",
                     "application/json"};
    auto e = reply_error(reply);
    EXPECT_EQ(e.code, "invalid_channel");
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.message, "bad name");
    EXPECT_EQ(e.hint, "fix it");
}

TEST(HttpClient, ReplyErrorFillsMissingFields) {
    auto e = reply_error({503, R"({"error":{}})", "application/json"});
    EXPECT_EQ(e.code, "error");
    EXPECT_EQ(e.status, 503);
    EXPECT_EQ(e.message, "");
}

TEST(HttpClient, ReplyErrorForOtherBodiesNamesTheStatus) {
    auto e = reply_error({502, "<html>bad gateway</html>", "text/html"});
    EXPECT_EQ(e.code, "http_502");
    EXPECT_EQ(e.status, 502);
    EXPECT_EQ(e.message, "server answered 502");
    EXPECT_EQ(e.hint, "<html>bad gateway</html>");
    auto long_body = reply_error({500, std::string(1000, 'x'), "text/plain"});
    EXPECT_EQ(long_body.hint.size(), 200u);
    EXPECT_EQ(reply_error({500, R"({"error":"text"})", ""}).code, "http_500");
}

// A loopback port that was just bound and released: nothing listens there.
std::string closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::close(fd);
    return std::to_string(ntohs(addr.sin_port));
}

TEST(HttpClient, NamesTheUrlWhenNothingListens) {
    auto url = parsed("http://127.0.0.1:" + closed_port());
    auto r = http_request(url, "GET", "/healthz", {}, {}, {}, std::chrono::seconds(5));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "unreachable");
    EXPECT_NE(r.err().message.find(url.text), std::string::npos) << r.err().message;
    EXPECT_FALSE(r.err().hint.empty());
}

// A listener that accepts (the kernel completes the handshake into its backlog) and never answers:
// the request ends with a named error within the timeout instead of hanging the CLI.
TEST(HttpClient, GivesUpOnAListenerThatNeverAnswers) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    auto url = parsed("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
    const auto started = std::chrono::steady_clock::now();
    auto r = http_request(url, "GET", "/healthz", {}, {}, {}, std::chrono::milliseconds(300));
    const auto took = std::chrono::steady_clock::now() - started;
    ::close(fd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "unreachable");
    EXPECT_NE(r.err().message.find("no reply from " + url.text), std::string::npos) << r.err().message;
    EXPECT_NE(r.err().message.find("300 ms"), std::string::npos) << r.err().message;
    EXPECT_LT(took, std::chrono::seconds(5)) << "the timeout did not bound the read";
}

}  // namespace
}  // namespace herald::client
