// model/error: the error catalog (codes, statuses, messages naming the value, hints) and the
// result<T> value-or-error type.
#include "lib/model/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace herald::model {
namespace {

// Every errors:: function, built as a caller would.
std::vector<error> every_error() {
    return {
        errors::bad_request("m"),
        errors::invalid_json("m"),
        errors::missing_field("data"),
        errors::invalid_field("event", "is bad"),
        errors::invalid_channel("m"),
        errors::not_found("GET", "/x"),
        errors::method_not_allowed("PUT", "/v1/publish", "POST"),
        errors::unsupported_media_type("text/xml"),
        errors::unsupported_media_type("image/png", true),
        errors::body_too_large(10),
        errors::headers_too_large(10),
        errors::data_too_large(11, 10),
        errors::too_many_publishes(11, 10),
        errors::invalid_user("a b"),
        errors::invalid_parameter("m", "h"),
        errors::channel_not_found("news"),
        errors::invalid_cursor("zz"),
        errors::missing_channel(),
        errors::invalid_envelope("xml"),
        errors::too_many_channels(17, 16),
        errors::websocket_upgrade_required("m", "h"),
        errors::unsupported_websocket_version("8"),
        errors::invalid_command_json("m", "h"),
        errors::invalid_command("m", "h"),
        errors::unknown_op("jump"),
        errors::invalid_since("m", "h"),
        errors::already_subscribed("news"),
        errors::not_subscribed("news"),
        errors::refresh_not_supported(),
        errors::other_user_token(),
        errors::token_required("news"),
        errors::forbidden_channel("news"),
        errors::invalid_token("because"),
        errors::token_expired(1'700'000'000'000, 1'700'000'042'500),
        errors::token_not_yet_valid(1'700'000'010'000, 1'700'000'000'500),
        errors::auth_not_configured(),
        errors::api_key_required(),
        errors::invalid_api_key(),
        errors::origin_not_allowed("https://evil.example"),
        errors::cross_origin_refused(),
        errors::host_not_allowed("evil.example"),
        errors::too_many_connections(5),
        errors::too_many_connections(5, true),
        errors::unavailable("m", "h"),
        errors::broker_timeout("m"),
        errors::reply_timeout(10),
        errors::internal("m"),
        errors::invalid_key("m"),
        errors::key_required("c"),
        errors::channel_not_keyed("c"),
        errors::key_not_found("c", "k"),
        errors::too_many_keys("c", 3),
        errors::not_a_counter("c", "k", "why"),
    };
}

TEST(ErrorCatalog, EveryErrorHasCodeStatusMessageAndHint) {
    for (const auto& e : every_error()) {
        EXPECT_FALSE(e.code.empty());
        EXPECT_GE(e.status, 400) << e.code;
        EXPECT_LT(e.status, 600) << e.code;
        EXPECT_FALSE(e.message.empty()) << e.code;
        EXPECT_FALSE(e.hint.empty()) << e.code;
    }
}

TEST(ErrorCatalog, EveryErrorIsAKindWithItsStatus) {
    for (const auto& e : every_error()) {
        auto k = std::find_if(error_kinds::all.begin(), error_kinds::all.end(),
                              [&](const error_kind& k) { return k.code == e.code; });
        ASSERT_NE(k, error_kinds::all.end()) << e.code << " is not in error_kinds::all";
        EXPECT_EQ(k->status, e.status) << e.code;
    }
}

TEST(ErrorCatalog, KindsAreUniqueAndDescribed) {
    std::set<std::string_view> codes;
    for (const auto& k : error_kinds::all) {
        EXPECT_TRUE(codes.insert(k.code).second) << k.code << " is listed twice";
        EXPECT_FALSE(k.when.empty()) << k.code;
        EXPECT_EQ(k.when.find('|'), std::string_view::npos) << k.code << ": '|' would split its docs row";
    }
    std::set<std::string> built;
    for (const auto& e : every_error()) built.insert(e.code);
    for (const auto& k : error_kinds::all)
        EXPECT_TRUE(built.count(std::string(k.code))) << k.code << " has no errors:: function";
}

TEST(ErrorCatalog, AuthErrorsNameTheProblem) {
    EXPECT_EQ(errors::invalid_token("because").message, "token refused: because");
    EXPECT_EQ(errors::token_expired(1'700'000'000'000, 1'700'000'042'500).message,
              "token expired 42 s ago (exp 1700000000)");
    // 9.5 s rounds up
    EXPECT_EQ(errors::token_not_yet_valid(1'700'000'010'000, 1'700'000'000'500).message,
              "token is not valid for another 10 s (nbf 1700000010)");
    EXPECT_NE(errors::token_required("news").message.find("'news'"), std::string::npos);
    EXPECT_NE(errors::forbidden_channel("user:bob").hint.find("user:"), std::string::npos);
    EXPECT_NE(errors::forbidden_channel("news").hint.find("'channels'"), std::string::npos);
    EXPECT_EQ(errors::forbidden_channel("news").code, "forbidden");
    EXPECT_EQ(errors::other_user_token().code, "forbidden");
    EXPECT_EQ(errors::refresh_not_supported().code, "not_supported");
}

TEST(ErrorCatalog, WebSocketCommandErrors) {
    EXPECT_EQ(errors::already_subscribed("news").status, 409);
    EXPECT_EQ(errors::already_subscribed("news").message, "already subscribed to 'news'");
    EXPECT_EQ(errors::already_subscribed("news").hint, "unsubscribe first, or keep the subscription you have");
    EXPECT_EQ(errors::not_subscribed("news").status, 404);
    EXPECT_EQ(errors::not_subscribed("news").message, "not subscribed to 'news'");
    EXPECT_EQ(errors::not_subscribed("news").hint, "subscribe before unsubscribing");
    EXPECT_EQ(errors::refresh_not_supported().status, 400);
    EXPECT_EQ(errors::refresh_not_supported().message, "this connection is authorized by an API key");
    EXPECT_EQ(errors::other_user_token().status, 403);
    EXPECT_EQ(errors::other_user_token().hint, "open a new connection for another user");
    EXPECT_EQ(errors::invalid_command_json("m", "h").code, "invalid_json");
    EXPECT_EQ(errors::unknown_op("jump").message, "unknown op 'jump'");
}

TEST(ErrorCatalog, MessagesNameTheBadValue) {
    EXPECT_EQ(errors::missing_field("data").message, "required field 'data' is missing");
    EXPECT_EQ(errors::invalid_field("event", "must be a string").message, "field 'event' must be a string");
    EXPECT_EQ(errors::invalid_cursor("zz").message, "since 'zz' is not a cursor");
    EXPECT_EQ(errors::not_found("GET", "/nope").message, "no route for GET /nope");
    EXPECT_EQ(errors::method_not_allowed("PUT", "/v1/publish", "POST").message, "PUT is not allowed on /v1/publish");
    EXPECT_EQ(errors::method_not_allowed("PUT", "/v1/publish", "POST").hint, "use POST");
    EXPECT_EQ(errors::data_too_large(70000, 65536).message, "event data is 70000 bytes, over the limit of 65536");
    EXPECT_EQ(errors::too_many_channels(17, 16).message, "17 channels requested, at most 16 allowed");
    EXPECT_EQ(errors::invalid_json("oops").message, "request body is not valid JSON: oops");
    EXPECT_EQ(errors::headers_too_large(8192).message, "request headers exceed 8192 bytes");
    EXPECT_EQ(errors::invalid_envelope("xml").message, "envelope 'xml' is not known");
    EXPECT_EQ(errors::invalid_user("a b").message, "user id 'a b' cannot be a token's sub");
    EXPECT_EQ(errors::channel_not_found("news").message,
              "channel 'news' has no subscribers and nothing was published to it");
    EXPECT_EQ(errors::unsupported_websocket_version("8").message, "Sec-WebSocket-Version '8' is not supported");
    EXPECT_EQ(errors::unsupported_media_type("image/png", true).hint, "send text (text/plain) or JSON (application/json)");
}

TEST(ErrorCatalog, StatusesMatchHttpMeaning) {
    EXPECT_EQ(errors::invalid_channel("m").status, 400);
    EXPECT_EQ(errors::not_found("GET", "/").status, 404);
    EXPECT_EQ(errors::method_not_allowed("GET", "/", "POST").status, 405);
    EXPECT_EQ(errors::body_too_large(1).status, 413);
    EXPECT_EQ(errors::data_too_large(2, 1).status, 413);
    EXPECT_EQ(errors::unsupported_media_type("x").status, 415);
    EXPECT_EQ(errors::too_many_connections(1).status, 503);
    EXPECT_EQ(errors::unavailable("m", "h").status, 503);
    EXPECT_EQ(errors::internal("m").status, 500);
    EXPECT_EQ(errors::headers_too_large(1).status, 431);
    EXPECT_EQ(errors::host_not_allowed("x").status, 421);
    EXPECT_EQ(errors::unsupported_websocket_version("8").status, 426);
    EXPECT_EQ(errors::token_expired(0, 1).status, 401);
    EXPECT_EQ(errors::origin_not_allowed("o").status, 403);
}

TEST(Result, HoldsAValue) {
    result<int> r(42);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(static_cast<bool>(r));
    EXPECT_EQ(r.value(), 42);
    EXPECT_EQ(*r, 42);
}

TEST(Result, HoldsAnError) {
    result<std::string> r(errors::bad_request("nope"));
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r);
    EXPECT_EQ(r.err().code, "bad_request");
    EXPECT_EQ(r.err().message, "nope");
}

TEST(Result, ArrowReachesMembers) {
    result<std::string> r(std::string("abc"));
    EXPECT_EQ(r->size(), 3u);
    r->push_back('d');
    EXPECT_EQ(r.value(), "abcd");
}

}  // namespace
}  // namespace herald::model
