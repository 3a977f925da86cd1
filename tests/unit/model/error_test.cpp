// model/error: the error catalog (codes, statuses, messages naming the value, hints) and the
// result<T> value-or-error type.
#include "lib/model/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::model {
namespace {

TEST(ErrorCatalog, EveryErrorHasCodeStatusMessageAndHint) {
    const std::vector<error> all = {
        errors::invalid_channel("m"),
        errors::invalid_json("m"),
        errors::missing_field("data"),
        errors::invalid_field("event", "is bad"),
        errors::invalid_cursor("zz"),
        errors::not_found("GET", "/x"),
        errors::method_not_allowed("PUT", "/v1/publish", "POST"),
        errors::unsupported_media_type("text/xml"),
        errors::body_too_large(10),
        errors::data_too_large(11, 10),
        errors::too_many_channels(17, 16),
        errors::too_many_connections(5),
        errors::bad_request("m"),
        errors::unavailable("m", "h"),
        errors::internal("m"),
    };
    for (const auto& e : all) {
        EXPECT_FALSE(e.code.empty());
        EXPECT_GE(e.status, 400) << e.code;
        EXPECT_LT(e.status, 600) << e.code;
        EXPECT_FALSE(e.message.empty()) << e.code;
        EXPECT_FALSE(e.hint.empty()) << e.code;
    }
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
