// protocol/ws_codec: client commands over WebSocket (subscribe, unsubscribe, ping, refresh; ids as
// numbers and strings; since with and without an epoch), the errors for bad commands (keeping the
// id when it could be read), and the event/error/reply JSON the server sends.
#include "lib/protocol/ws_codec.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace herald::protocol {
namespace {

using nlohmann::json;

ws_command parse_ok(std::string_view text) {
    ws_command cmd;
    auto err = parse_ws_command(text, cmd);
    EXPECT_FALSE(err) << text << ": " << (err ? err->error.code + " " + err->error.message : "");
    return cmd;
}

ws_command_error parse_bad(std::string_view text) {
    ws_command cmd;
    auto err = parse_ws_command(text, cmd);
    EXPECT_TRUE(err) << text << " should be rejected";
    return err ? *err : ws_command_error{};
}

TEST(WsCodec, ParsesPing) {
    auto cmd = parse_ok(R"({"op":"ping"})");
    EXPECT_EQ(cmd.op, ws_op::ping);
    EXPECT_EQ(cmd.id, "");
}

TEST(WsCodec, KeepsNumericIdsAsJsonText) {
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":7})").id, "7");
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":0})").id, "0");
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":-3})").id, "-3");
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":18446744073709551615})").id, "18446744073709551615");
}

TEST(WsCodec, KeepsStringIdsAsJsonText) {
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":"a"})").id, "\"a\"");
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":"q\"x"})").id, R"("q\"x")");
    EXPECT_EQ(parse_ok(R"({"op":"ping","id":""})").id, "\"\"");
}

TEST(WsCodec, RejectsIdsThatAreNotIntegersOrStrings) {
    for (const char* text : {R"({"op":"ping","id":1.5})", R"({"op":"ping","id":true})", R"({"op":"ping","id":null})",
                             R"({"op":"ping","id":[1]})", R"({"op":"ping","id":{"a":1}})"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_command") << text;
        EXPECT_EQ(err.id, "") << text;
    }
}

TEST(WsCodec, ParsesSubscribeWithoutSince) {
    auto cmd = parse_ok(R"({"op":"subscribe","channel":"news","id":1})");
    EXPECT_EQ(cmd.op, ws_op::subscribe);
    EXPECT_EQ(cmd.channel, "news");
    EXPECT_EQ(cmd.id, "1");
    EXPECT_FALSE(cmd.since);
    EXPECT_FALSE(parse_ok(R"({"op":"subscribe","channel":"news","since":null})").since);
}

TEST(WsCodec, ParsesSubscribeSinceLatest) {
    auto cmd = parse_ok(R"({"op":"subscribe","channel":"news","since":"latest"})");
    ASSERT_TRUE(cmd.since);
    EXPECT_TRUE(cmd.since->latest);
    EXPECT_FALSE(cmd.since->epoch);
}

TEST(WsCodec, ParsesSubscribeSinceWithEpoch) {
    auto cmd = parse_ok(R"({"op":"subscribe","channel":"user:42/inbox","since":{"epoch":"e1","offset":5}})");
    ASSERT_TRUE(cmd.since);
    ASSERT_TRUE(cmd.since->epoch);
    EXPECT_EQ(*cmd.since->epoch, "e1");
    EXPECT_EQ(cmd.since->offset, 5u);
    EXPECT_EQ(cmd.channel, "user:42/inbox");
}

TEST(WsCodec, ParsesSubscribeSinceWithoutEpoch) {
    auto cmd = parse_ok(R"({"op":"subscribe","channel":"news","since":{"offset":0}})");
    ASSERT_TRUE(cmd.since);
    EXPECT_FALSE(cmd.since->epoch);
    EXPECT_EQ(cmd.since->offset, 0u);
    auto nulled = parse_ok(R"({"op":"subscribe","channel":"news","since":{"offset":9,"epoch":null}})");
    ASSERT_TRUE(nulled.since);
    EXPECT_FALSE(nulled.since->epoch);
    EXPECT_EQ(nulled.since->offset, 9u);
}

TEST(WsCodec, RejectsBadSinceKeepingTheId) {
    for (const char* text : {R"({"op":"subscribe","channel":"news","id":4,"since":5})",
                             R"({"op":"subscribe","channel":"news","id":4,"since":{}})",
                             R"({"op":"subscribe","channel":"news","id":4,"since":{"offset":-1}})",
                             R"({"op":"subscribe","channel":"news","id":4,"since":{"offset":1.5}})",
                             R"({"op":"subscribe","channel":"news","id":4,"since":{"offset":"5"}})",
                             R"({"op":"subscribe","channel":"news","id":4,"since":{"offset":5,"epoch":7}})"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_since") << text;
        EXPECT_EQ(err.id, "4") << text;
    }
}

TEST(WsCodec, ParsesUnsubscribeAndIgnoresSince) {
    auto cmd = parse_ok(R"({"op":"unsubscribe","channel":"news","id":"u1","since":{"offset":3}})");
    EXPECT_EQ(cmd.op, ws_op::unsubscribe);
    EXPECT_EQ(cmd.channel, "news");
    EXPECT_EQ(cmd.id, "\"u1\"");
    EXPECT_FALSE(cmd.since);
}

TEST(WsCodec, ParsesRefreshWithToken) {
    auto cmd = parse_ok(R"({"op":"refresh","token":"abc.def.ghi","id":9})");
    EXPECT_EQ(cmd.op, ws_op::refresh);
    EXPECT_EQ(cmd.token, "abc.def.ghi");
    EXPECT_EQ(cmd.id, "9");
}

TEST(WsCodec, RejectsRefreshWithoutTokenKeepingTheId) {
    for (const char* text : {R"({"op":"refresh","id":9})", R"({"op":"refresh","id":9,"token":1})"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_command") << text;
        EXPECT_EQ(err.id, "9") << text;
    }
}

TEST(WsCodec, InvalidJsonHasNoId) {
    for (const char* text : {"", "{", "{\"op\":\"ping\",\"id\":1", "ping", "{'op':'ping'}"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_json") << text;
        EXPECT_EQ(err.error.status, 400);
        EXPECT_FALSE(err.error.message.empty());
        EXPECT_FALSE(err.error.hint.empty());
        EXPECT_EQ(err.id, "");
    }
}

TEST(WsCodec, RejectsMessagesThatAreNotObjects) {
    for (const char* text : {"[1]", "42", "\"ping\"", "null"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_command") << text;
    }
}

TEST(WsCodec, RejectsMissingOrNonStringOpKeepingTheId) {
    auto missing = parse_bad(R"({"id":3})");
    EXPECT_EQ(missing.error.code, "invalid_command");
    EXPECT_EQ(missing.id, "3");
    auto number = parse_bad(R"({"op":1,"id":"x"})");
    EXPECT_EQ(number.error.code, "invalid_command");
    EXPECT_EQ(number.id, "\"x\"");
}

TEST(WsCodec, UnknownOpKeepsTheIdAndNamesTheOp) {
    auto err = parse_bad(R"({"op":"dance","id":3})");
    EXPECT_EQ(err.error.code, "unknown_op");
    EXPECT_EQ(err.error.status, 400);
    EXPECT_EQ(err.error.message, "unknown op 'dance'");
    EXPECT_EQ(err.id, "3");
    EXPECT_EQ(parse_bad(R"({"op":"Subscribe","channel":"a"})").error.code, "unknown_op");  // ops are case-sensitive
}

TEST(WsCodec, InvalidChannelKeepsTheId) {
    auto err = parse_bad(R"({"op":"subscribe","channel":"bad channel","id":"s1"})");
    EXPECT_EQ(err.error.code, "invalid_channel");
    EXPECT_EQ(err.error.message, "channel 'bad channel' has invalid character byte 0x20 at position 3");
    EXPECT_EQ(err.id, "\"s1\"");
    auto unsub = parse_bad(R"({"op":"unsubscribe","channel":"","id":2})");
    EXPECT_EQ(unsub.error.code, "invalid_channel");
    EXPECT_EQ(unsub.id, "2");
}

TEST(WsCodec, MissingChannelKeepsTheId) {
    for (const char* text : {R"({"op":"subscribe","id":5})", R"({"op":"subscribe","id":5,"channel":["a"]})",
                             R"({"op":"unsubscribe","id":5})"}) {
        auto err = parse_bad(text);
        EXPECT_EQ(err.error.code, "invalid_command") << text;
        EXPECT_EQ(err.id, "5") << text;
    }
}

model::event sample_event(model::data_kind kind, std::string data, std::string name = "") {
    model::event ev;
    ev.channel = "news";
    ev.offset = 12;
    ev.epoch = "ab12cd34";
    ev.name = std::move(name);
    ev.data = std::move(data);
    ev.kind = kind;
    ev.published_at = 1700000000123;
    return ev;
}

TEST(WsCodec, EventJsonEmbedsJsonData) {
    EXPECT_EQ(ws_event_json(sample_event(model::data_kind::json, R"({"z":1,"a":[2]})")),
              R"({"op":"event","channel":"news","offset":12,"epoch":"ab12cd34","data":{"z":1,"a":[2]},)"
              R"("published_at":1700000000123})");
}

TEST(WsCodec, EventJsonQuotesTextAndAddsTheName) {
    auto out = ws_event_json(sample_event(model::data_kind::text, "line\n\"two\"", "tick"));
    EXPECT_EQ(out, R"({"op":"event","channel":"news","offset":12,"epoch":"ab12cd34","event":"tick",)"
                   R"("data":"line\n\"two\"","published_at":1700000000123})");
    auto j = json::parse(out);
    EXPECT_EQ(j["data"], "line\n\"two\"");
}

TEST(WsCodec, ErrorJsonWithAndWithoutId) {
    model::error e{"unknown_op", 400, "unknown op 'dance'", "use ping"};
    EXPECT_EQ(ws_error_json("3", e),
              R"({"op":"error","id":3,"code":"unknown_op","message":"unknown op 'dance'","hint":"use ping"})");
    EXPECT_EQ(ws_error_json("", e),
              R"({"op":"error","code":"unknown_op","message":"unknown op 'dance'","hint":"use ping"})");
    e.hint.clear();
    EXPECT_EQ(ws_error_json("\"a\"", e), R"({"op":"error","id":"a","code":"unknown_op","message":"unknown op 'dance'"})");
}

TEST(WsCodec, ErrorForABadCommandEchoesItsId) {
    ws_command cmd;
    auto err = parse_ws_command(R"({"op":"subscribe","channel":"a b","id":"q\"1"})", cmd);
    ASSERT_TRUE(err);
    auto j = json::parse(ws_error_json(err->id, err->error));
    EXPECT_EQ(j["op"], "error");
    EXPECT_EQ(j["id"], "q\"1");
    EXPECT_EQ(j["code"], "invalid_channel");
}

TEST(WsCodec, ReplyJson) {
    EXPECT_EQ(ws_reply_json("pong", "", ""), R"({"op":"pong"})");
    EXPECT_EQ(ws_reply_json("pong", "7", ""), R"({"op":"pong","id":7})");
    EXPECT_EQ(ws_reply_json("subscribed", "\"s\"", R"(,"channel":"news","offset":3)"),
              R"({"op":"subscribed","id":"s","channel":"news","offset":3})");
    auto j = json::parse(ws_reply_json("unsubscribed", "1", R"(,"channel":"a")"));
    EXPECT_EQ(j["op"], "unsubscribed");
    EXPECT_EQ(j["id"], 1);
    EXPECT_EQ(j["channel"], "a");
}

}  // namespace
}  // namespace herald::protocol
