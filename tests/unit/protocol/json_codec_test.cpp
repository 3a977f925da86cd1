// protocol/json_codec: publish bodies (single, "channels" fan-in, batches with per-item errors),
// the errors for each bad field, raw-body requests, event names, and the JSON written back
// (envelope, publish result, error body, quoting).
#include "lib/protocol/json_codec.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace herald::protocol {
namespace {

using nlohmann::json;

// The one item of a non-batch body, which must parse.
publish_item single(std::string_view body) {
    auto r = parse_publish_body(body);
    EXPECT_TRUE(r.ok()) << body << ": " << (r.ok() ? "" : r.err().message);
    if (!r.ok()) return {};
    EXPECT_FALSE(r->batch);
    EXPECT_EQ(r->items.size(), 1u);
    EXPECT_TRUE(r->items[0].ok());
    return r->items[0].ok() ? r->items[0].value() : publish_item{};
}

// The error of a body that must be rejected as a whole.
model::error rejected(std::string_view body) {
    auto r = parse_publish_body(body);
    EXPECT_FALSE(r.ok()) << body << " should be rejected";
    return r.ok() ? model::error{} : r.err();
}

TEST(JsonCodec, ParsesOneEventToOneChannel) {
    auto item = single(R"({"channel":"news","data":{"n":1}})");
    EXPECT_FALSE(item.multi);
    ASSERT_EQ(item.requests.size(), 1u);
    const auto& r = item.requests[0];
    EXPECT_EQ(r.channel, "news");
    EXPECT_EQ(r.data, R"({"n":1})");
    EXPECT_EQ(r.kind, model::data_kind::json);
    EXPECT_EQ(r.name, "");
    EXPECT_EQ(r.idempotency_key, "");
}

TEST(JsonCodec, StringDataBecomesText) {
    auto item = single(R"({"channel":"news","data":"hello \"you\"\nbye"})");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].kind, model::data_kind::text);
    EXPECT_EQ(item.requests[0].data, "hello \"you\"\nbye");
}

TEST(JsonCodec, NonStringScalarsStayJson) {
    EXPECT_EQ(single(R"({"channel":"c","data":42})").requests.at(0).data, "42");
    EXPECT_EQ(single(R"({"channel":"c","data":true})").requests.at(0).data, "true");
    EXPECT_EQ(single(R"({"channel":"c","data":null})").requests.at(0).data, "null");
    EXPECT_EQ(single(R"({"channel":"c","data":[1,"a"]})").requests.at(0).kind, model::data_kind::json);
}

TEST(JsonCodec, PreservesTheKeyOrderOfData) {
    auto item = single(R"({"channel":"news","data":{"z":1,"a":2,"m":{"y":[3,{"q":1,"b":2}],"b":null}}})");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].data, R"({"z":1,"a":2,"m":{"y":[3,{"q":1,"b":2}],"b":null}})");
}

TEST(JsonCodec, CompactsDataAndKeepsUnicode) {
    auto item = single("{ \"channel\" : \"news\" ,\n \"data\" : { \"a\" : [ 1 , 2 ] , \"s\" : \"caf\u00e9 \\u2713\" } }");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].data, "{\"a\":[1,2],\"s\":\"caf\u00e9 \u2713\"}");
}

TEST(JsonCodec, KeyOrderDoesNotMatterAtTheTop) {
    auto item = single(R"({"data":"x","event":"tick","idempotency_key":"k1","channel":"news"})");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].channel, "news");
    EXPECT_EQ(item.requests[0].name, "tick");
    EXPECT_EQ(item.requests[0].idempotency_key, "k1");
}

TEST(JsonCodec, NullEventAndKeyMeanNone) {
    auto item = single(R"({"channel":"news","data":1,"event":null,"idempotency_key":null})");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].name, "");
    EXPECT_EQ(item.requests[0].idempotency_key, "");
}

TEST(JsonCodec, FansInOneEventToSeveralChannels) {
    auto item = single(R"({"channels":["a","b","c"],"data":{"n":1},"event":"tick","idempotency_key":"k"})");
    EXPECT_TRUE(item.multi);
    ASSERT_EQ(item.requests.size(), 3u);
    const char* names[] = {"a", "b", "c"};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(item.requests[i].channel, names[i]);
        EXPECT_EQ(item.requests[i].data, R"({"n":1})");
        EXPECT_EQ(item.requests[i].name, "tick");
        EXPECT_EQ(item.requests[i].idempotency_key, "k");
    }
}

TEST(JsonCodec, ParsesABatchWithPerItemErrors) {
    auto r = parse_publish_body(
        R"({"events":[{"channel":"a","data":1},{"channel":"bad name","data":2},{"channels":["b","c"],"data":"t"},)"
        R"({"data":4},7]})");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->batch);
    ASSERT_EQ(r->items.size(), 5u);
    ASSERT_TRUE(r->items[0].ok());
    EXPECT_EQ(r->items[0]->requests.at(0).channel, "a");
    EXPECT_EQ(r->items[0]->requests.at(0).data, "1");
    ASSERT_FALSE(r->items[1].ok());
    EXPECT_EQ(r->items[1].err().code, "invalid_channel");
    ASSERT_TRUE(r->items[2].ok());
    EXPECT_TRUE(r->items[2]->multi);
    EXPECT_EQ(r->items[2]->requests.size(), 2u);
    EXPECT_EQ(r->items[2]->requests.at(1).kind, model::data_kind::text);
    ASSERT_FALSE(r->items[3].ok());
    EXPECT_EQ(r->items[3].err().message, "required field 'channel' is missing");
    ASSERT_FALSE(r->items[4].ok());
    EXPECT_EQ(r->items[4].err().code, "bad_request");
}

TEST(JsonCodec, BatchOfOneIsStillABatch) {
    auto r = parse_publish_body(R"({"events":[{"channel":"a","data":1}]})");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->batch);
    EXPECT_EQ(r->items.size(), 1u);
}

TEST(JsonCodec, RefusesABodyThatExpandsIntoMorePublishesThanAllowed) {
    // 10 events x 100 channels: a small body, 1000 publishes (each a copy of its data).
    std::string channels;
    for (int i = 0; i < 100; ++i) channels += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
    std::string body = R"({"events":[)";
    for (int i = 0; i < 10; ++i) body += std::string(i ? "," : "") + R"({"channels":[)" + channels + R"(],"data":"x"})";
    body += "]}";
    auto r = parse_publish_body(body, 999);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, "too_many_publishes");
    EXPECT_EQ(r.err().status, 413);
    EXPECT_NE(r.err().message.find("1000"), std::string::npos) << r.err().message;
    EXPECT_NE(r.err().hint.find("limits.max_batch_publishes"), std::string::npos);
    auto ok = parse_publish_body(body, 1000);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->items.size(), 10u);
    auto single = parse_publish_body(R"({"channels":["a","b","c"],"data":1})", 2);
    ASSERT_FALSE(single);
    EXPECT_EQ(single.err().code, "too_many_publishes");
}

TEST(JsonCodec, RejectsBatchesThatAreEmptyNotArraysOrTooBig) {
    EXPECT_EQ(rejected(R"({"events":[]})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"events":{"channel":"a","data":1}})").code, "invalid_field");
    std::string big = R"({"events":[)";
    for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + R"({"channel":"a","data":1})";
    big += "]}";
    auto e = rejected(big);
    EXPECT_EQ(e.code, "invalid_field");
    EXPECT_NE(e.message.find("1000"), std::string::npos) << e.message;
    std::string ok = R"({"events":[)";
    for (int i = 0; i < 1000; ++i) ok += std::string(i ? "," : "") + R"({"channel":"a","data":1})";
    ok += "]}";
    auto r = parse_publish_body(ok);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->items.size(), 1000u);
}

TEST(JsonCodec, RejectsInvalidJson) {
    for (const char* body : {"", "{", "{\"channel\":\"a\",}", "not json", "{\"channel\":\"a\" \"data\":1}"}) {
        auto e = rejected(body);
        EXPECT_EQ(e.code, "invalid_json") << body;
        EXPECT_EQ(e.status, 400) << body;
        EXPECT_EQ(e.message.rfind("request body is not valid JSON: ", 0), 0u) << e.message;
    }
}

// Found by fuzz/publish_body_fuzz: a number too large for a double made nlohmann throw
// out_of_range (not parse_error), which escaped parse_publish_body.
TEST(JsonCodec, RejectsNumbersTooLargeForADoubleWithoutThrowing) {
    for (const char* body : {R"({"channel":"a","data":1.5e380})", R"({"channel":"a","data":[-1e400]})",
                             R"({"events":[{"channel":"a","data":1e999}]})"}) {
        model::result<publish_body> r = model::error{};
        ASSERT_NO_THROW(r = parse_publish_body(body)) << body;
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.err().code, "invalid_json") << body;
        EXPECT_EQ(r.err().status, 400) << body;
        EXPECT_NE(r.err().message.find("number overflow"), std::string::npos) << r.err().message;
    }
}

TEST(JsonCodec, RejectsBodiesThatAreNotObjects) {
    EXPECT_EQ(rejected("[1,2]").code, "bad_request");
    EXPECT_EQ(rejected("42").code, "bad_request");
    EXPECT_EQ(rejected("\"x\"").code, "bad_request");
}

TEST(JsonCodec, RejectsMissingData) {
    auto e = rejected(R"({"channel":"news"})");
    EXPECT_EQ(e.code, "missing_field");
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.message, "required field 'data' is missing");
}

TEST(JsonCodec, RejectsMissingOrBadChannel) {
    EXPECT_EQ(rejected(R"({"data":1})").message, "required field 'channel' is missing");
    auto e = rejected(R"({"channel":"my channel","data":1})");
    EXPECT_EQ(e.code, "invalid_channel");
    EXPECT_EQ(e.message, "channel 'my channel' has invalid character byte 0x20 at position 2");
    EXPECT_EQ(rejected(R"({"channel":"","data":1})").code, "invalid_channel");
    EXPECT_EQ(rejected(R"({"channel":5,"data":1})").message, "field 'channel' must be a string");
}

TEST(JsonCodec, RejectsBadChannelsArrays) {
    EXPECT_EQ(rejected(R"({"channel":"a","channels":["b"],"data":1})").code, "bad_request");
    EXPECT_EQ(rejected(R"({"channels":[],"data":1})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channels":"a","data":1})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channels":["a",1],"data":1})").message, "field 'channels' must contain only strings");
    auto e = rejected(R"({"channels":["ok","b#d"],"data":1})");
    EXPECT_EQ(e.code, "invalid_channel");
    EXPECT_EQ(e.message, "channel 'b#d' has invalid character '#' at position 1");
    std::string many = R"({"data":1,"channels":[)";
    for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
    many += "]}";
    EXPECT_EQ(rejected(many).message, "101 channels requested, at most 100 allowed");
}

TEST(JsonCodec, RejectsBadEventNames) {
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"event":5})").message, "field 'event' must be a string");
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"event":""})").message, "field 'event' must be 1-100 bytes, got 0");
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"event":"a\nb"})").code, "invalid_field");
    auto e = rejected(R"({"channel":"a","data":1,"event":"herald.reset"})");
    EXPECT_EQ(e.code, "invalid_field");
    EXPECT_EQ(e.message, "field 'event' 'herald.reset' uses the reserved prefix 'herald.'");
    std::string long_name(101, 'e');
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"event":")" + long_name + "\"}").message,
              "field 'event' must be 1-100 bytes, got 101");
}

TEST(JsonCodec, RejectsBadIdempotencyKeys) {
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"idempotency_key":1})").message,
              "field 'idempotency_key' must be a string");
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"idempotency_key":""})").code, "invalid_field");
    std::string key(201, 'k');
    EXPECT_EQ(rejected(R"({"channel":"a","data":1,"idempotency_key":")" + key + "\"}").code, "invalid_field");
    std::string max_key(200, 'k');
    EXPECT_EQ(single(R"({"channel":"a","data":1,"idempotency_key":")" + max_key + "\"}").requests.at(0).idempotency_key,
              max_key);
}

TEST(JsonCodec, ValidatesEventNames) {
    EXPECT_FALSE(validate_event_name("price"));
    EXPECT_FALSE(validate_event_name("prix-\u00e9t\u00e9 \u2713"));
    EXPECT_FALSE(validate_event_name("herald"));
    EXPECT_FALSE(validate_event_name("my.herald.x"));
    EXPECT_FALSE(validate_event_name(std::string(100, 'x')));
    EXPECT_TRUE(validate_event_name(std::string(101, 'x')));
    EXPECT_TRUE(validate_event_name(""));
    EXPECT_TRUE(validate_event_name("a\tb"));
    EXPECT_TRUE(validate_event_name("a\rb"));
    EXPECT_TRUE(validate_event_name("a\x7f"));
    EXPECT_TRUE(validate_event_name(std::string("a\0b", 3)));
    EXPECT_TRUE(validate_event_name("herald.x"));
    auto e = validate_event_name("a\nb");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "field 'event' must not contain control characters or line breaks");
}

TEST(JsonCodec, RawTextBodyIsKeptVerbatim) {
    auto r = raw_publish_request("news", "{\"not\": parsed}\n", false, "tick", "k1");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->channel, "news");
    EXPECT_EQ(r->kind, model::data_kind::text);
    EXPECT_EQ(r->data, "{\"not\": parsed}\n");
    EXPECT_EQ(r->name, "tick");
    EXPECT_EQ(r->idempotency_key, "k1");
}

TEST(JsonCodec, RawJsonBodyIsCompactedInOrder) {
    auto r = raw_publish_request("news", "{ \"b\" : 1, \"a\" : [ true ] }", true, "", "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, model::data_kind::json);
    EXPECT_EQ(r->data, R"({"b":1,"a":[true]})");
}

TEST(JsonCodec, RawJsonStringBecomesText) {
    auto r = raw_publish_request("news", "\"hi\\nthere\"", true, "", "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, model::data_kind::text);
    EXPECT_EQ(r->data, "hi\nthere");
}

TEST(JsonCodec, RawRequestRejectsBadInput) {
    auto bad_json = raw_publish_request("news", "{oops", true, "", "");
    ASSERT_FALSE(bad_json.ok());
    EXPECT_EQ(bad_json.err().code, "invalid_json");
    auto bad_channel = raw_publish_request("no way", "x", false, "", "");
    ASSERT_FALSE(bad_channel.ok());
    EXPECT_EQ(bad_channel.err().code, "invalid_channel");
    auto bad_name = raw_publish_request("news", "x", false, "herald.x", "");
    ASSERT_FALSE(bad_name.ok());
    EXPECT_EQ(bad_name.err().code, "invalid_field");
    auto bad_key = raw_publish_request("news", "x", false, "", std::string(201, 'k'));
    ASSERT_FALSE(bad_key.ok());
    EXPECT_EQ(bad_key.err().code, "invalid_field");
}

TEST(JsonCodec, RawTextBodyMayBeEmpty) {
    auto r = raw_publish_request("news", "", false, "", "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->data, "");
    EXPECT_EQ(r->kind, model::data_kind::text);
}

// 100 000 levels of arrays: 200 KB, well under the 1 MiB body limit.
const std::string deep_data = std::string(100000, '[') + std::string(100000, ']');

TEST(JsonCodec, DeeplyNestedDataDoesNotCrashThePublishParser) {
    EXPECT_EXIT(
        {
            auto r = parse_publish_body(R"({"channel":"a","data":)" + deep_data + "}");
            std::exit(r.ok() || !r.err().code.empty() ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(JsonCodec, DeeplyNestedRawJsonBodyDoesNotCrash) {
    EXPECT_EXIT(
        {
            auto r = raw_publish_request("a", deep_data, true, "", "");
            std::exit(r.ok() || !r.err().code.empty() ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(JsonCodec, ModeratelyNestedDataIsKept) {
    const std::string nest = std::string(100, '[') + "1" + std::string(100, ']');
    auto item = single(R"({"channel":"a","data":)" + nest + "}");
    ASSERT_EQ(item.requests.size(), 1u);
    EXPECT_EQ(item.requests[0].data, nest);
}

model::event sample_event(model::data_kind kind, std::string data, std::string name = "") {
    model::event ev;
    ev.channel = "news";
    ev.offset = 7;
    ev.epoch = "e1";
    ev.name = std::move(name);
    ev.data = std::move(data);
    ev.kind = kind;
    ev.published_at = 1700000000000;
    return ev;
}

TEST(JsonCodec, EnvelopeEmbedsJsonDataVerbatim) {
    EXPECT_EQ(event_envelope_json(sample_event(model::data_kind::json, R"({"z":1,"a":2})")),
              R"({"channel":"news","offset":7,"epoch":"e1","data":{"z":1,"a":2},"published_at":1700000000000})");
}

TEST(JsonCodec, EnvelopeQuotesTextAndAddsTheEventName) {
    auto out = event_envelope_json(sample_event(model::data_kind::text, "a\"b\nc", "tick"));
    EXPECT_EQ(out,
              R"({"channel":"news","offset":7,"epoch":"e1","event":"tick","data":"a\"b\nc","published_at":1700000000000})");
    auto j = json::parse(out);
    EXPECT_EQ(j["data"], "a\"b\nc");
}

TEST(JsonCodec, PublishResultJson) {
    model::publish_result r{"news", 3, "e1", 2, false, std::nullopt};
    EXPECT_EQ(publish_result_json(r), R"({"channel":"news","offset":3,"epoch":"e1","delivered_local":2})");
    r.duplicate = true;
    EXPECT_EQ(publish_result_json(r),
              R"({"channel":"news","offset":3,"epoch":"e1","delivered_local":2,"duplicate":true})");
}

TEST(JsonCodec, EnvelopeOfAKeyedEventNamesTheKeyAndADeletionHasNoData) {
    auto ev = sample_event(model::data_kind::json, "5");
    ev.key = "unread";
    EXPECT_EQ(event_envelope_json(ev),
              R"({"channel":"news","offset":7,"epoch":"e1","key":"unread","data":5,"published_at":1700000000000})");
    ev.deleted = true;
    ev.data.clear();
    EXPECT_EQ(event_envelope_json(ev),
              R"({"channel":"news","offset":7,"epoch":"e1","key":"unread","deleted":true,"published_at":1700000000000})");
}

TEST(JsonCodec, PublishResultCarriesACountersValue) {
    model::publish_result r{"user:1", 4, "e1", 0, false, std::nullopt};
    r.value = -3;
    EXPECT_EQ(publish_result_json(r), R"({"channel":"user:1","offset":4,"epoch":"e1","delivered_local":0,"value":-3})");
}

TEST(JsonCodec, ParsesKeysCountersAndDeletions) {
    auto set = single(R"({"channel":"prices:n","key":"AAPL","data":{"p":1}})").requests.at(0);
    EXPECT_EQ(set.key, "AAPL");
    EXPECT_EQ(set.op, model::key_op::set);
    EXPECT_EQ(set.data, R"({"p":1})");
    auto incr = single(R"({"channel":"user:1","key":"unread","incr":-2})").requests.at(0);
    EXPECT_EQ(incr.op, model::key_op::incr);
    EXPECT_EQ(incr.incr, -2);
    EXPECT_EQ(incr.kind, model::data_kind::json);
    auto del = single(R"({"channel":"user:1","key":"unread","delete":true})").requests.at(0);
    EXPECT_EQ(del.op, model::key_op::remove);
    auto not_del = single(R"({"channel":"user:1","key":"unread","delete":false,"data":1})").requests.at(0);
    EXPECT_EQ(not_del.op, model::key_op::set);
    auto max = single(R"({"channel":"c","key":"k","incr":9007199254740991})").requests.at(0);
    EXPECT_EQ(max.incr, model::max_counter);
}

TEST(JsonCodec, RejectsBadKeysCountersAndDeletions) {
    EXPECT_EQ(rejected(R"({"channel":"c","key":"","data":1})").code, "invalid_key");
    EXPECT_EQ(rejected(R"({"channel":"c","key":7,"data":1})").code, "invalid_key");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"a\u0001b","data":1})").code, "invalid_key");
    EXPECT_EQ(rejected(R"({"channel":"c","key":")" + std::string(257, 'k') + R"(","data":1})").code, "invalid_key");
    EXPECT_EQ(rejected(R"({"channel":"c","incr":1})").code, "missing_field");
    EXPECT_EQ(rejected(R"({"channel":"c","delete":true})").code, "missing_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":1,"data":1})").code, "bad_request");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":1,"delete":true})").code, "bad_request");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":1.5})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":"1"})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":9007199254740992})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":18446744073709551615})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","incr":-9007199254740992})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k","delete":"yes"})").code, "invalid_field");
    EXPECT_EQ(rejected(R"({"channel":"c","key":"k"})").code, "missing_field");
}

TEST(JsonCodec, KeysAreUtf8WithoutControlCharacters) {
    EXPECT_FALSE(validate_key("AAPL"));
    EXPECT_FALSE(validate_key("caf\xc3\xa9"));
    EXPECT_FALSE(validate_key(std::string(256, 'k')));
    EXPECT_TRUE(validate_key("\xff"));
    EXPECT_TRUE(validate_key("a\x7f"));
    EXPECT_TRUE(validate_key(""));
}

TEST(JsonCodec, RawRequestTakesAKey) {
    auto r = raw_publish_request("prices:n", R"({"p":1})", true, "", "", std::string("AAPL"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->key, "AAPL");
    EXPECT_EQ(raw_publish_request("prices:n", "1", true, "", "", std::string()).err().code, "invalid_key");
}

TEST(JsonCodec, ErrorJsonCarriesCodeMessageAndHint) {
    auto e = model::errors::missing_field("data");
    auto out = error_json(e);
    auto j = json::parse(out);
    ASSERT_TRUE(j.contains("error"));
    EXPECT_EQ(j.size(), 1u);
    EXPECT_EQ(j["error"]["code"], "missing_field");
    EXPECT_EQ(j["error"]["message"], "required field 'data' is missing");
    EXPECT_EQ(j["error"]["hint"], e.hint);
    EXPECT_EQ(out.rfind(R"({"error":{"code":"missing_field","message":)", 0), 0u) << out;
}

TEST(JsonCodec, ErrorJsonSurvivesInvalidUtf8) {
    model::error e{"invalid_channel", 400, "channel 'caf\xc3' is bad", "hint"};
    std::string out;
    EXPECT_NO_THROW(out = error_json(e));
    auto j = json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["error"]["message"], "channel 'caf\xef\xbf\xbd' is bad");
}

TEST(JsonCodec, QuotesAndEscapesStrings) {
    EXPECT_EQ(json_quote(""), "\"\"");
    EXPECT_EQ(json_quote("plain"), "\"plain\"");
    EXPECT_EQ(json_quote("a\"b\\c\nd\te"), R"("a\"b\\c\nd\te")");
    EXPECT_EQ(json_quote(std::string("\x01\0", 2)), R"("\u0001\u0000")");
    EXPECT_EQ(json_quote("caf\u00e9"), "\"caf\u00e9\"");
    EXPECT_EQ(json_quote("bad \xff byte"), "\"bad \xef\xbf\xbd byte\"");
}

}  // namespace
}  // namespace herald::protocol
