// Error replies over real sockets: every non-2xx is JSON {"error":{"code","message","hint"}} with a
// fitting status (404, 405 with Allow, 400 bad JSON / channel / missing data, 415), and the
// publish endpoints exist only on the internal listener.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

// Checks the error shape and returns the error object.
json expect_error(const client::http_reply& r, unsigned status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json") << r.body;
    auto j = parse_json(r.body);
    if (!j.is_object() || !j.contains("error")) {
        ADD_FAILURE() << "no error object: " << r.body;
        return json::object();
    }
    auto e = j["error"];
    EXPECT_EQ(e["code"], code) << r.body;
    EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << r.body;
    EXPECT_TRUE(e["hint"].is_string() && !e["hint"].get<std::string>().empty()) << r.body;
    return e;
}

std::string message(const json& e) { return e.value("message", ""); }

TEST(Errors, UnknownRouteIs404) {
    test_server srv;
    auto e = expect_error(srv.request("GET", "/nope"), 404, "not_found");
    EXPECT_NE(message(e).find("/nope"), std::string::npos);
    expect_error(srv.request("GET", "/v1/sse/extra", {}, {}, {}, true), 404, "not_found");
}

TEST(Errors, WrongMethodIs405WithAllow) {
    test_server srv;
    auto r = raw_request(srv.internal_port(), "GET /v1/publish HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(r->header("allow"), "POST");
    EXPECT_EQ(r->header("content-type"), "application/json");
    auto j = parse_json(r->body);
    EXPECT_EQ(j["error"]["code"], "method_not_allowed");
    EXPECT_NE(message(j["error"]).find("GET"), std::string::npos);

    auto ch = raw_request(srv.internal_port(),
                          "DELETE /v1/channels/news/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->status, 405u);
    EXPECT_EQ(ch->header("allow"), "GET, POST");  // history and publish share the path

    auto sse = raw_request(srv.public_port(), "POST /v1/sse?channel=a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                                              "Connection: close\r\n\r\n");
    ASSERT_TRUE(sse);
    EXPECT_EQ(sse->status, 405u);
    EXPECT_EQ(sse->header("allow"), "GET");
}

TEST(Errors, BadJsonIs400) {
    test_server srv;
    expect_error(srv.request("POST", "/v1/publish", "{\"channel\":", "application/json"), 400, "invalid_json");
    expect_error(srv.request("POST", "/v1/publish", "", "application/json"), 400, "invalid_json");
}

TEST(Errors, BadChannelNameIs400NamingTheCharacter) {
    test_server srv;
    auto e = expect_error(srv.post_json("/v1/publish", {{"channel", "news!"}, {"data", 1}}), 400, "invalid_channel");
    EXPECT_NE(message(e).find("'!'"), std::string::npos) << message(e);
    EXPECT_NE(message(e).find("news!"), std::string::npos) << message(e);
    auto space = expect_error(srv.post_json("/v1/publish", {{"channel", "a b"}, {"data", 1}}), 400, "invalid_channel");
    EXPECT_NE(message(space).find("0x20"), std::string::npos) << message(space);
    expect_error(srv.post_json("/v1/publish", {{"channel", ""}, {"data", 1}}), 400, "invalid_channel");
    expect_error(srv.post_json("/v1/publish", {{"channel", std::string(201, 'a')}, {"data", 1}}), 400,
                 "invalid_channel");
}

TEST(Errors, MissingDataOrChannelIs400NamingTheField) {
    test_server srv;
    auto e = expect_error(srv.post_json("/v1/publish", {{"channel", "news"}}), 400, "missing_field");
    EXPECT_NE(message(e).find("'data'"), std::string::npos);
    auto c = expect_error(srv.post_json("/v1/publish", {{"data", 1}}), 400, "missing_field");
    EXPECT_NE(message(c).find("'channel'"), std::string::npos);
    expect_error(srv.post_json("/v1/publish", {{"channel", "a"}, {"data", 1}, {"event", 5}}), 400, "invalid_field");
    expect_error(srv.post_json("/v1/publish", {{"channel", "a"}, {"data", 1}, {"event", "herald.x"}}), 400,
                 "invalid_field");
}

TEST(Errors, UnsupportedContentTypeIs415) {
    test_server srv;
    auto e = expect_error(srv.request("POST", "/v1/publish", "<x/>", "application/xml"), 415, "unsupported_media_type");
    EXPECT_NE(message(e).find("application/xml"), std::string::npos);
    expect_error(srv.request("POST", "/v1/channels/a/events", "<x/>", "application/xml"), 415,
                 "unsupported_media_type");
}

TEST(Errors, PublishIsNotOnThePublicListener) {
    test_server srv;
    auto r = srv.request("POST", "/v1/publish", R"({"channel":"a","data":1})", "application/json", {}, true);
    expect_error(r, 404, "not_found");
    expect_error(srv.request("POST", "/v1/channels/a/events", "x", "text/plain", {}, true), 404, "not_found");
    // Nothing was published.
    EXPECT_EQ(srv.publish("a", 1)["offset"], 1);
}

TEST(Errors, CorsPreflightIsAnswered) {
    test_server srv;
    auto r = raw_request(srv.public_port(),
                         "OPTIONS /v1/sse?channel=a HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\n"
                         "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204u);
    EXPECT_FALSE(r->header("access-control-allow-origin").empty());
    sse_client sub(srv.public_port(), sse_target({"a"}), {{"Origin", "https://app.example"}});
    ASSERT_TRUE(sub.ok());
    EXPECT_FALSE(sub.header("access-control-allow-origin").empty());
}

}  // namespace
}  // namespace herald::test
