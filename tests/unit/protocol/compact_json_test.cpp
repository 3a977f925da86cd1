// protocol/compact_json: true only when the bytes are exactly nlohmann's compact dump of their
// ordered parse — checked against that dump for every case — and false for whitespace, escapes,
// non-ASCII, floats, -0, long integers, repeated keys, scalars at the top, and deep or wide input.
#include "lib/protocol/compact_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

#include "lib/protocol/json_codec.hpp"

namespace herald::protocol {
namespace {

std::string dumped(const std::string& text) { return nlohmann::ordered_json::parse(text).dump(); }

TEST(CompactJson, KeepsWhatIsAlreadyTheCompactDump) {
    for (const std::string t : {R"({"a":1})", R"({"price":123,"sym":"AAPL","up":true,"x":null})", R"([1,-2,"b",[],{}])",
                                R"({"b":{"a":[0,false]},"a":"z"})", R"({"n":123456789012345678})", "[]", "{}"}) {
        EXPECT_TRUE(already_compact_json(t)) << t;
        EXPECT_EQ(dumped(t), t) << t;  // the claim holds: the dump is the same bytes
    }
}

TEST(CompactJson, RefusesWhatADumpWouldChange) {
    for (const std::string t : {R"({"a": 1})", "{\"a\":1}\n", R"({"a":"\/"})", R"({"a":"\u0041"})", "{\"a\":\"\xc3\xa9\"}",
                                R"({"a":1.0})", R"({"a":1e2})", R"({"a":-0})", R"({"a":1234567890123456789})",
                                R"({"a":1,"a":2})"}) {
        EXPECT_FALSE(already_compact_json(t)) << t;
    }
    // Each of those really is re-written by the dump (or, for long numbers, might be).
    EXPECT_NE(dumped(R"({"a":1,"a":2})"), R"({"a":1,"a":2})");
    EXPECT_NE(dumped(R"({"a":-0})"), R"({"a":-0})");
    EXPECT_NE(dumped(R"({"a":1e2})"), R"({"a":1e2})");
}

TEST(CompactJson, RefusesWhatIsNotJson) {
    for (const std::string t : {"{", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[01]", "[1]]", "[tru]", "[nul]",
                                "{1:2}", "[\"a\":1]", "[1 2]", "[-]", "[\"a]", "{\"a\":1}x"}) {
        EXPECT_FALSE(already_compact_json(t)) << t;
        EXPECT_FALSE(nlohmann::ordered_json::accept(t)) << t;
    }
}

TEST(CompactJson, RefusesScalarsAtTheTopAndInputTooDeepOrWide) {
    for (const std::string t : {"1", "\"s\"", "true", "null", ""}) EXPECT_FALSE(already_compact_json(t)) << t;
    EXPECT_FALSE(already_compact_json(std::string(33, '[') + std::string(33, ']')));
    EXPECT_TRUE(already_compact_json(std::string(32, '[') + std::string(32, ']')));
    EXPECT_FALSE(already_compact_json(std::string(32, '[') + std::string(31, ']')));
    std::string wide = "{";
    for (int i = 0; i < 17; ++i) wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    wide += "}";
    EXPECT_FALSE(already_compact_json(wide));
    EXPECT_EQ(dumped(wide), wide);  // correct to refuse anyway: only the duplicate check is bounded
}

TEST(CompactJson, RawPublishStoresTheSameBytesEitherWay) {
    for (const std::string t : {R"({"a":1})", R"({"a": 1})", R"({"a":1,"a":2})", R"({"a":1.50})", R"(["x",-0])"}) {
        auto r = raw_publish_request("news", t, true, "", "");
        ASSERT_TRUE(r) << t;
        EXPECT_EQ(r->data, dumped(t)) << t;
    }
}

}  // namespace
}  // namespace herald::protocol
