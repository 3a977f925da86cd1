// Keyed channels over real sockets, against an in-process herald with the memory broker: publishes
// with a key (POST /v1/publish and POST /v1/channels/{ch}/events?key=), counters (incr), deletions,
// every refusal with its status and code, the snapshot a new subscriber gets first (SSE, always in
// the JSON envelope, and WebSocket), catch-up by key from a cursor (Last-Event-ID, WS since) even
// when plain history would not reach back, herald.reset then the snapshot for a cursor of another
// epoch, since=latest on keyed and unkeyed channels, GET /v1/channels/{ch}/latest and the keyed
// members of GET /v1/channels/{ch}, and a counter outliving history.ttl.
// Test thread only; each test runs its own server.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

config::channel_rule keyed_rule(std::string pattern, std::optional<std::size_t> max_keys = std::nullopt,
                                std::optional<std::size_t> history_size = std::nullopt,
                                std::optional<std::int64_t> history_ttl_ms = std::nullopt) {
    config::channel_rule r;
    r.pattern = std::move(pattern);
    r.keyed = true;
    r.max_keys = max_keys;
    r.history_size = history_size;
    r.history_ttl_ms = history_ttl_ms;
    return r;
}

// {"channels":[{"pattern":"prices:*","keyed":true,"max_keys":3},{"pattern":"user:*","keyed":true}]}
// (plus history limits for prices:* when given).
config::config keyed_config(std::optional<std::size_t> prices_history_size = std::nullopt) {
    auto cfg = test_config();
    cfg.channels = {keyed_rule("prices:*", 3, prices_history_size), keyed_rule("user:*")};
    return cfg;
}

std::string path_of(const std::string& channel) { return "/v1/channels/" + client::url_encode(channel); }

// POST /v1/publish with a key; returns the raw reply (status and body).
client::http_reply put_key(test_server& srv, const std::string& channel, const std::string& key, const json& data) {
    return srv.post_json("/v1/publish", json{{"channel", channel}, {"key", key}, {"data", data}});
}
client::http_reply incr_key(test_server& srv, const std::string& channel, const std::string& key, std::int64_t by) {
    return srv.post_json("/v1/publish", json{{"channel", channel}, {"key", key}, {"incr", by}});
}
client::http_reply delete_key(test_server& srv, const std::string& channel, const std::string& key) {
    return srv.post_json("/v1/publish", json{{"channel", channel}, {"key", key}, {"delete", true}});
}

// The same, asserting 200; returns the reply JSON.
json set_ok(test_server& srv, const std::string& channel, const std::string& key, const json& data) {
    auto r = put_key(srv, channel, key, data);
    EXPECT_EQ(r.status, 200u) << channel << " " << key << ": " << r.body;
    return parse_json(r.body);
}
json incr_ok(test_server& srv, const std::string& channel, const std::string& key, std::int64_t by) {
    auto r = incr_key(srv, channel, key, by);
    EXPECT_EQ(r.status, 200u) << channel << " " << key << ": " << r.body;
    return parse_json(r.body);
}
json delete_ok(test_server& srv, const std::string& channel, const std::string& key) {
    auto r = delete_key(srv, channel, key);
    EXPECT_EQ(r.status, 200u) << channel << " " << key << ": " << r.body;
    return parse_json(r.body);
}

// A refusal: the status, {"error":{"code":..,"message":..,"hint":..}} with the code.
void expect_error(const client::http_reply& r, unsigned status, const std::string& code, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    auto j = parse_json(r.body);
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_object()) << what << ": " << r.body;
    EXPECT_EQ(j["error"]["code"], code) << what << ": " << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string() && !j["error"]["message"].get<std::string>().empty())
        << what << ": " << r.body;
}

json get_ok(test_server& srv, const std::string& target) {
    auto r = srv.request("GET", target);
    EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
    return parse_json(r.body);
}

json latest(test_server& srv, const std::string& channel) { return get_ok(srv, path_of(channel) + "/latest"); }

// --- SSE helpers ---------------------------------------------------------------------------------

bool is_control(const protocol::sse_message& m) { return m.event.rfind("herald.", 0) == 0; }

// The data events (herald.* control events left out), their data parsed as JSON.
std::vector<json> envelopes(const sse_client& s) {
    std::vector<json> out;
    for (const auto& m : s.events())
        if (!is_control(m)) out.push_back(parse_json(m.data));
    return out;
}

// Waits for a data event whose envelope names `key` and satisfies `pred` (default: any).
bool wait_key(sse_client& s, const std::string& key, const std::function<bool(const json&)>& pred = {}) {
    return s
        .wait_for([&](const protocol::sse_message& m) {
            if (is_control(m)) return false;
            auto j = json::parse(m.data, nullptr, false);
            return j.is_object() && j.value("key", "") == key && (!pred || pred(j));
        })
        .has_value();
}

std::vector<std::string> keys_of(const std::vector<json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.value("key", "<no key>"));
    return out;
}

std::vector<std::uint64_t> offsets_of(const std::vector<json>& events) {
    std::vector<std::uint64_t> out;
    for (const auto& e : events) out.push_back(e.value("offset", std::uint64_t(0)));
    return out;
}

std::string last_data_id(const sse_client& s) {
    std::string id;
    for (const auto& m : s.events())
        if (!is_control(m)) id = m.id;
    return id;
}

// --- WebSocket helpers -----------------------------------------------------------------------------

json subscribe_cmd(const std::string& channel, const json& id, const json& since = nullptr) {
    json j{{"op", "subscribe"}, {"channel", channel}, {"id", id}};
    if (!since.is_null()) j["since"] = since;
    return j;
}

bool wait_ws_key(ws_client& c, const std::string& key, const std::function<bool(const json&)>& pred = {}) {
    return c
        .wait_for([&](const json& m) {
            return is_op(m, "event") && str_member(m, "key") == key && (!pred || pred(m));
        })
        .has_value();
}

// =================================================================================================
// 1. Publishing with a key
// =================================================================================================

TEST(KeyedPublish, AKeyedPublishIsAcceptedOnBothPublishRoutes) {
    test_server srv(keyed_config());
    auto r = put_key(srv, "prices:n", "AAPL", json{{"p", 1}});
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = parse_json(r.body);
    EXPECT_EQ(j["channel"], "prices:n");
    EXPECT_EQ(j["offset"], 1);
    EXPECT_FALSE(j.contains("value")) << j;  // a set has no counter value
    EXPECT_TRUE(j["epoch"].is_string());

    auto raw = srv.request("POST", path_of("prices:n") + "/events?key=MSFT", R"({"p":2})", "application/json");
    ASSERT_EQ(raw.status, 200u) << raw.body;
    auto k = parse_json(raw.body);
    EXPECT_EQ(k["offset"], 2);
    EXPECT_FALSE(k.contains("value")) << k;

    auto l = latest(srv, "prices:n");
    ASSERT_EQ(l["events"].size(), 2u) << l;
    EXPECT_EQ(l["events"][0]["key"], "AAPL");
    EXPECT_EQ(l["events"][0]["data"], (json{{"p", 1}}));
    EXPECT_EQ(l["events"][1]["key"], "MSFT");
    EXPECT_EQ(l["events"][1]["data"], (json{{"p", 2}}));  // stored as JSON, not as text
}

TEST(KeyedPublish, AKeyOnAnUnkeyedChannelIsChannelNotKeyed) {
    test_server srv(keyed_config());
    expect_error(put_key(srv, "news", "a", 1), 400, "channel_not_keyed", "key on news");
    expect_error(incr_key(srv, "news", "a", 1), 400, "channel_not_keyed", "incr on news");
    expect_error(delete_key(srv, "news", "a"), 400, "channel_not_keyed", "delete on news");
    expect_error(srv.request("POST", "/v1/channels/news/events?key=a", "1", "application/json"), 400,
                 "channel_not_keyed", "raw publish with ?key= on news");
    // Nothing was published.
    EXPECT_EQ(srv.request("GET", "/v1/channels/news/latest").status, 404u);
}

TEST(KeyedPublish, AKeyedChannelWithoutAKeyIsKeyRequired) {
    test_server srv(keyed_config());
    expect_error(srv.post_json("/v1/publish", json{{"channel", "prices:n"}, {"data", 1}}), 400, "key_required",
                 "publish without key");
    expect_error(srv.request("POST", path_of("prices:n") + "/events", "1", "application/json"), 400, "key_required",
                 "raw publish without ?key=");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", nullptr}, {"data", 1}}), 400,
                 "key_required", "key: null");
}

TEST(KeyedPublish, ABadKeyIsInvalidKey) {
    test_server srv(keyed_config());
    expect_error(put_key(srv, "user:1", "", 1), 400, "invalid_key", "empty key");
    expect_error(put_key(srv, "user:1", std::string(257, 'k'), 1), 400, "invalid_key", "257-byte key");
    expect_error(put_key(srv, "user:1", "a\nb", 1), 400, "invalid_key", "key with a line break");
    expect_error(put_key(srv, "user:1", std::string("a\x01", 2), 1), 400, "invalid_key", "key with \\x01");
    expect_error(put_key(srv, "user:1", "tab\there", 1), 400, "invalid_key", "key with a tab");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", 7}, {"data", 1}}), 400,
                 "invalid_key", "a number as key");
    expect_error(srv.request("POST", path_of("user:1") + "/events?key=", "1", "application/json"), 400, "invalid_key",
                 "raw publish with an empty ?key=");
    expect_error(srv.request("POST", path_of("user:1") + "/events?key=a%0Ab", "1", "application/json"), 400,
                 "invalid_key", "raw publish with a line break in ?key=");
    // The limits themselves are fine: 256 bytes, and printable UTF-8.
    set_ok(srv, "user:1", std::string(256, 'k'), 1);
    set_ok(srv, "user:1", "caf\xc3\xa9 \xe2\x82\xac", 2);
    EXPECT_EQ(latest(srv, "user:1")["events"].size(), 2u);
}

TEST(KeyedPublish, IncrAndDataTogetherIsBadRequestAndANonIntegerIncrIsInvalidField) {
    test_server srv(keyed_config());
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", "c"}, {"incr", 1}, {"data", 5}}), 400,
                 "bad_request", "incr with data");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", "c"}, {"delete", true}, {"data", 5}}),
                 400, "bad_request", "delete with data");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", "c"}, {"incr", 1.5}}), 400,
                 "invalid_field", "incr 1.5");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", "c"}, {"incr", "1"}}), 400,
                 "invalid_field", "incr \"1\"");
    expect_error(srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"key", "c"}, {"incr", true}}), 400,
                 "invalid_field", "incr true");
    // An incr without a key is refused too (whatever the code), and nothing of this was published.
    auto no_key = srv.post_json("/v1/publish", json{{"channel", "user:1"}, {"incr", 1}});
    EXPECT_EQ(no_key.status, 400u) << no_key.body;
    EXPECT_EQ(srv.request("GET", path_of("user:1") + "/latest").status, 404u);
}

TEST(KeyedPublish, MaxKeysRefusesANewKeyButNotAnUpdateAndADeletionMakesRoom) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    set_ok(srv, "prices:n", "GOOG", 1);
    expect_error(put_key(srv, "prices:n", "IBM", 1), 409, "too_many_keys", "4th key at max_keys 3");
    expect_error(incr_key(srv, "prices:n", "IBM", 1), 409, "too_many_keys", "4th key by incr");
    auto update = set_ok(srv, "prices:n", "AAPL", 2);  // an existing key at the cap
    EXPECT_EQ(update["offset"], 4);
    delete_ok(srv, "prices:n", "MSFT");
    set_ok(srv, "prices:n", "IBM", 1);  // the room the deletion made
    expect_error(put_key(srv, "prices:n", "MSFT", 1), 409, "too_many_keys", "a deleted key back, at the cap");
    auto l = latest(srv, "prices:n");
    EXPECT_EQ(keys_of(l["events"].get<std::vector<json>>()), (std::vector<std::string>{"GOOG", "AAPL", "IBM"})) << l;
    // Another channel of the pattern has its own room.
    set_ok(srv, "prices:other", "IBM", 1);
}

TEST(KeyedPublish, IncrOfAKeyHoldingAnObjectIsNotACounter) {
    test_server srv(keyed_config());
    set_ok(srv, "user:7", "profile", json{{"p", 1}});
    expect_error(incr_key(srv, "user:7", "profile", 1), 409, "not_a_counter", "incr of {\"p\":1}");
    set_ok(srv, "user:7", "name", "ada");  // a text value is not a counter either
    expect_error(incr_key(srv, "user:7", "name", 1), 409, "not_a_counter", "incr of \"ada\"");
    set_ok(srv, "user:7", "n", 41);  // a number set by hand is
    EXPECT_EQ(incr_ok(srv, "user:7", "n", 1)["value"], 42);
    // The refused incr changed nothing.
    auto l = latest(srv, "user:7");
    ASSERT_EQ(l["events"].size(), 3u) << l;
    EXPECT_EQ(l["events"][0]["data"], (json{{"p", 1}}));
}

TEST(KeyedPublish, DeletingAKeyWithoutAValueIsKeyNotFound) {
    test_server srv(keyed_config());
    expect_error(delete_key(srv, "user:7", "never"), 404, "key_not_found", "delete of a key never set");
    set_ok(srv, "user:7", "k", 1);
    auto d = delete_ok(srv, "user:7", "k");
    EXPECT_EQ(d["offset"], 2);
    EXPECT_FALSE(d.contains("value"));
    expect_error(delete_key(srv, "user:7", "k"), 404, "key_not_found", "delete of a deleted key");
    auto l = latest(srv, "user:7");
    EXPECT_TRUE(l["events"].empty()) << l;
    EXPECT_EQ(l["last_offset"], 2);
}

// =================================================================================================
// 3. Counters
// =================================================================================================

TEST(KeyedCounters, TenIncrementsCountToTenAndANegativeIncrSubtracts) {
    test_server srv(keyed_config());
    json last;
    for (int i = 1; i <= 10; ++i) {
        last = incr_ok(srv, "user:42", "unread", 1);
        EXPECT_EQ(last["value"], i) << last;
    }
    EXPECT_EQ(last["value"], 10);
    EXPECT_EQ(last["offset"], 10);
    EXPECT_EQ(incr_ok(srv, "user:42", "unread", -3)["value"], 7);
    EXPECT_EQ(incr_ok(srv, "user:42", "unread", -10)["value"], -3);
    EXPECT_EQ(incr_ok(srv, "user:42", "other", 5)["value"], 5);  // a new key starts at 0
    auto l = latest(srv, "user:42");
    ASSERT_EQ(l["events"].size(), 2u) << l;
    EXPECT_EQ(l["events"][0]["key"], "unread");
    EXPECT_EQ(l["events"][0]["data"], -3);
    EXPECT_EQ(l["events"][1]["data"], 5);
    // A counter can be set by hand, and counts on from there.
    EXPECT_FALSE(set_ok(srv, "user:42", "unread", 100).contains("value"));
    EXPECT_EQ(incr_ok(srv, "user:42", "unread", 1)["value"], 101);
}

TEST(KeyedCounters, ACounterStaysWithinTheExactIntegersOfJson) {
    test_server srv(keyed_config());
    constexpr std::int64_t max = 9007199254740991;  // 2^53 - 1
    set_ok(srv, "user:42", "big", max);
    expect_error(incr_key(srv, "user:42", "big", 1), 409, "not_a_counter", "incr past 2^53 - 1");
    EXPECT_EQ(incr_ok(srv, "user:42", "big", -1)["value"], max - 1);
    expect_error(incr_key(srv, "user:42", "big", max + 1), 400, "invalid_field", "incr of 2^53");
    expect_error(incr_key(srv, "user:42", "small", -max - 1), 400, "invalid_field", "incr of -2^53");
    EXPECT_EQ(latest(srv, "user:42")["events"][0]["data"], max - 1);
}

TEST(KeyedCounters, ARepeatedIdempotencyKeyCountsOnce) {
    test_server srv(keyed_config());
    json body{{"channel", "user:42"}, {"key", "unread"}, {"incr", 1}, {"idempotency_key", "msg-1"}};
    auto first = srv.post_json("/v1/publish", body);
    ASSERT_EQ(first.status, 200u) << first.body;
    auto again = srv.post_json("/v1/publish", body);
    ASSERT_EQ(again.status, 200u) << again.body;
    auto j = parse_json(again.body);
    EXPECT_EQ(j["duplicate"], true) << j;
    EXPECT_EQ(j["value"], 1) << j;
    EXPECT_EQ(latest(srv, "user:42")["events"][0]["data"], 1);
}

TEST(KeyedCounters, ABatchCountsInOrder) {
    test_server srv(keyed_config());
    auto r = srv.post_json("/v1/publish", json{{"events", json::array({
                                                              {{"channel", "user:42"}, {"key", "unread"}, {"incr", 1}},
                                                              {{"channel", "user:42"}, {"key", "unread"}, {"incr", 2}},
                                                              {{"channel", "user:42"}, {"key", "seen"}, {"data", 1}},
                                                              {{"channel", "news"}, {"key", "x"}, {"data", 1}},
                                                          })}});
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = parse_json(r.body);
    ASSERT_EQ(j["results"].size(), 4u) << j;
    EXPECT_EQ(j["results"][0]["value"], 1) << j;
    EXPECT_EQ(j["results"][1]["value"], 3) << j;
    EXPECT_FALSE(j["results"][2].contains("value")) << j;
    EXPECT_EQ(j["results"][3]["error"]["code"], "channel_not_keyed") << j;
}

// =================================================================================================
// 4. SSE: the envelope and the snapshot
// =================================================================================================

TEST(KeyedSse, APageOpenedAfterTenIncrementsShowsTenAtOnce) {
    test_server srv(keyed_config());
    std::string epoch;
    for (int i = 0; i < 10; ++i) epoch = incr_ok(srv, "user:42", "unread", 1)["epoch"];
    sse_client page(srv.public_port(), sse_target({"user:42"}));
    ASSERT_TRUE(page.ok()) << page.error_body();
    ASSERT_TRUE(page.wait_events(1)) << page.body();
    const auto& first = page.events()[0];
    EXPECT_EQ(first.event, "message");
    auto j = parse_json(first.data);
    EXPECT_EQ(j["data"], 10) << first.data;
    EXPECT_EQ(j["key"], "unread") << first.data;
    EXPECT_EQ(j["channel"], "user:42");
    EXPECT_EQ(j["offset"], 10);
    EXPECT_EQ(j["epoch"], epoch);
    EXPECT_FALSE(first.id.empty());
    // Then live, one event per increment.
    incr_ok(srv, "user:42", "unread", 1);
    ASSERT_TRUE(wait_key(page, "unread", [](const json& e) { return e["data"] == 11; })) << page.body();
    EXPECT_EQ(envelopes(page).size(), 2u) << page.body();
}

TEST(KeyedSse, EventsComeInTheEnvelopeWithOrWithoutEnvelopeJson) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", json{{"p", 1}});
    sse_client bare(srv.public_port(), sse_target({"prices:n"}));
    sse_client enveloped(srv.public_port(), sse_target({"prices:n"}, "envelope=json"));
    sse_client plain(srv.public_port(), sse_target({"news"}));  // an unkeyed channel keeps bare data
    ASSERT_TRUE(bare.ok() && enveloped.ok() && plain.ok());
    auto named = srv.post_json("/v1/publish", json{{"channel", "prices:n"}, {"key", "MSFT"}, {"data", "text value"},
                                                   {"event", "tick"}});
    ASSERT_EQ(named.status, 200u) << named.body;
    delete_ok(srv, "prices:n", "AAPL");
    srv.publish("news", json{{"n", 1}});
    for (auto* s : {&bare, &enveloped}) {
        ASSERT_TRUE(wait_key(*s, "AAPL", [](const json& e) { return e.contains("deleted"); })) << s->body();
        auto ev = envelopes(*s);
        ASSERT_EQ(ev.size(), 3u) << s->body();
        // The snapshot's event: every envelope member, and the data as JSON.
        EXPECT_EQ(ev[0]["channel"], "prices:n");
        EXPECT_EQ(ev[0]["offset"], 1);
        EXPECT_TRUE(ev[0]["epoch"].is_string());
        EXPECT_EQ(ev[0]["key"], "AAPL");
        EXPECT_EQ(ev[0]["data"], (json{{"p", 1}}));
        EXPECT_TRUE(ev[0]["published_at"].is_number_integer());
        EXPECT_FALSE(ev[0].contains("deleted"));
        // A live set with an event name and a text value.
        EXPECT_EQ(ev[1]["key"], "MSFT");
        EXPECT_EQ(ev[1]["data"], "text value");
        EXPECT_EQ(ev[1]["event"], "tick");
        // A live deletion: "deleted":true instead of data.
        EXPECT_EQ(ev[2]["key"], "AAPL");
        EXPECT_EQ(ev[2]["deleted"], true);
        EXPECT_FALSE(ev[2].contains("data")) << ev[2];
        EXPECT_EQ(ev[2]["offset"], 3);
        // The SSE event: field still carries the name.
        std::vector<std::string> names;
        for (const auto& m : s->events())
            if (!is_control(m)) names.push_back(m.event);
        EXPECT_EQ(names, (std::vector<std::string>{"message", "tick", "message"})) << s->body();
    }
    ASSERT_TRUE(plain.wait_events(1)) << plain.body();
    EXPECT_EQ(plain.events()[0].data, R"({"n":1})");
}

TEST(KeyedSse, ANewSubscriberGetsTheSnapshotOldestFirstWithoutDeletedKeysThenLive) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);   // 1
    set_ok(srv, "prices:n", "MSFT", 1);   // 2
    set_ok(srv, "prices:n", "GOOG", 1);   // 3
    set_ok(srv, "prices:n", "AAPL", 2);   // 4
    delete_ok(srv, "prices:n", "MSFT");   // 5
    set_ok(srv, "prices:n", "GOOG", 2);   // 6
    sse_client sub(srv.public_port(), sse_target({"prices:n"}));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    set_ok(srv, "prices:n", "IBM", 1);  // 7, live
    ASSERT_TRUE(wait_key(sub, "IBM")) << sub.body();
    auto ev = envelopes(sub);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"AAPL", "GOOG", "IBM"})) << sub.body();
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{4, 6, 7})) << sub.body();
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0]["data"], 2);
    EXPECT_EQ(ev[1]["data"], 2);
    for (const auto& m : sub.events()) EXPECT_NE(m.event, "herald.reset") << sub.body();
}

TEST(KeyedSse, SinceEarliestOnAKeyedChannelIsTheSnapshotToo) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "AAPL", 2);
    set_ok(srv, "prices:n", "AAPL", 3);
    sse_client sub(srv.public_port(), sse_target({"prices:n"}, "since=earliest"));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    set_ok(srv, "prices:n", "MSFT", 1);
    ASSERT_TRUE(wait_key(sub, "MSFT")) << sub.body();
    auto ev = envelopes(sub);
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{3, 4})) << sub.body();
}

TEST(KeyedSse, AnEmptyKeyedChannelStartsLive) {
    test_server srv(keyed_config());
    sse_client sub(srv.public_port(), sse_target({"prices:n"}));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    set_ok(srv, "prices:n", "AAPL", 1);
    ASSERT_TRUE(wait_key(sub, "AAPL")) << sub.body();
    EXPECT_EQ(envelopes(sub).size(), 1u) << sub.body();
    EXPECT_EQ(sub.events().size(), 1u) << sub.body();  // no control event either
}

// =================================================================================================
// 5. Catch-up by key with Last-Event-ID
// =================================================================================================

// Subscribes to prices:n (AAPL and MSFT set before), reads the snapshot, returns the last event's id.
std::string read_snapshot_then_leave(test_server& srv) {
    sse_client sub(srv.public_port(), sse_target({"prices:n"}));
    EXPECT_TRUE(sub.ok()) << sub.error_body();
    EXPECT_TRUE(wait_key(sub, "MSFT")) << sub.body();
    auto ev = envelopes(sub);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"AAPL", "MSFT"})) << sub.body();
    return last_data_id(sub);
}

// After the cursor: AAPL twice, MSFT deleted, GOOG new. Catch-up sends AAPL's latest (3), MSFT's
// deletion and GOOG, in offset order, no reset; then live events follow.
void expect_catch_up_by_key(test_server& srv) {
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    auto cursor = read_snapshot_then_leave(srv);
    ASSERT_FALSE(cursor.empty());
    set_ok(srv, "prices:n", "AAPL", 2);  // 3
    set_ok(srv, "prices:n", "AAPL", 3);  // 4
    delete_ok(srv, "prices:n", "MSFT");  // 5
    set_ok(srv, "prices:n", "GOOG", 1);  // 6
    sse_client again(srv.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    set_ok(srv, "prices:n", "AAPL", 4);  // 7, live
    ASSERT_TRUE(wait_key(again, "AAPL", [](const json& e) { return e["data"] == 4; })) << again.body();
    auto ev = envelopes(again);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"AAPL", "MSFT", "GOOG", "AAPL"})) << again.body();
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{4, 5, 6, 7})) << again.body();
    if (ev.size() == 4) {
        EXPECT_EQ(ev[0]["data"], 3);
        EXPECT_EQ(ev[1]["deleted"], true);
        EXPECT_FALSE(ev[1].contains("data"));
        EXPECT_EQ(ev[2]["data"], 1);
    }
    for (const auto& m : again.events()) EXPECT_FALSE(is_control(m)) << m.event << " " << m.data;
}

TEST(KeyedResume, LastEventIdGetsOnlyTheLatestEventOfEachKeyChangedSince) {
    test_server srv(keyed_config());
    expect_catch_up_by_key(srv);
}

TEST(KeyedResume, CatchUpByKeyReachesBackFurtherThanAHistoryOfOne) {
    test_server srv(keyed_config(1));
    expect_catch_up_by_key(srv);
    // Plain history holds the newest event only.
    auto h = get_ok(srv, path_of("prices:n") + "/events?since=earliest");
    EXPECT_EQ(h["events"].size(), 1u) << h;
}

TEST(KeyedResume, SinceQueryCatchesUpByKeyToo) {
    test_server srv(keyed_config(1));
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    auto cursor = read_snapshot_then_leave(srv);
    set_ok(srv, "prices:n", "MSFT", 2);
    set_ok(srv, "prices:n", "MSFT", 3);
    sse_client again(srv.public_port(), sse_target({"prices:n"}, "since=" + client::url_encode(cursor)));
    ASSERT_TRUE(again.ok()) << again.error_body();
    set_ok(srv, "prices:n", "GOOG", 1);
    ASSERT_TRUE(wait_key(again, "GOOG")) << again.body();
    EXPECT_EQ(offsets_of(envelopes(again)), (std::vector<std::uint64_t>{4, 5})) << again.body();
}

TEST(KeyedResume, ACursorAtTheHeadReplaysNothing) {
    test_server srv(keyed_config(1));
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    auto cursor = read_snapshot_then_leave(srv);
    sse_client again(srv.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    set_ok(srv, "prices:n", "GOOG", 1);
    ASSERT_TRUE(wait_key(again, "GOOG")) << again.body();
    EXPECT_EQ(keys_of(envelopes(again)), (std::vector<std::string>{"GOOG"})) << again.body();
    EXPECT_EQ(again.events().size(), 1u) << again.body();
}

TEST(KeyedResume, ACursorOfAMadeUpEpochGetsAResetThenTheSnapshot) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    auto cursor = read_snapshot_then_leave(srv);
    ASSERT_GT(cursor.size(), 12u) << cursor;
    // Cursor: 4 hex digits of the channel names, 8 of their epochs, then .offset: another epoch.
    cursor[4] = cursor[4] == '0' ? '1' : '0';
    set_ok(srv, "prices:n", "AAPL", 2);
    sse_client again(srv.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    set_ok(srv, "prices:n", "GOOG", 1);  // live
    ASSERT_TRUE(wait_key(again, "GOOG")) << again.body();
    ASSERT_GE(again.events().size(), 1u);
    EXPECT_EQ(again.events()[0].event, "herald.reset") << again.body();
    auto reset = parse_json(again.events()[0].data);
    EXPECT_EQ(reset["channel"], "prices:n");
    EXPECT_EQ(reset["reason"], "epoch_changed");
    // The snapshot follows the reset, then live.
    auto ev = envelopes(again);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"MSFT", "AAPL", "GOOG"})) << again.body();
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{2, 3, 4})) << again.body();
    EXPECT_EQ(again.events().size(), 4u) << again.body();
}

TEST(KeyedResume, ACursorFromBeforeARestartGetsAResetThenTheNewSnapshot) {
    std::string cursor;
    {
        test_server first(keyed_config());
        set_ok(first, "prices:n", "AAPL", 1);
        set_ok(first, "prices:n", "MSFT", 1);
        cursor = read_snapshot_then_leave(first);
    }
    test_server second(keyed_config());  // a restarted memory broker: a new epoch
    auto r = set_ok(second, "prices:n", "GOOG", 1);
    set_ok(second, "prices:n", "AAPL", 9);
    sse_client again(second.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    auto reset = again.wait_for([](const auto& m) { return m.event == "herald.reset"; });
    ASSERT_TRUE(reset) << again.body();
    EXPECT_EQ(parse_json(reset->data)["reason"], "epoch_changed");
    EXPECT_EQ(parse_json(reset->data)["epoch"], r["epoch"]);
    ASSERT_TRUE(wait_key(again, "AAPL")) << again.body();
    ASSERT_EQ(again.events().size(), 3u) << again.body();
    EXPECT_EQ(again.events()[0].event, "herald.reset");
    auto ev = envelopes(again);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"GOOG", "AAPL"})) << again.body();
    EXPECT_EQ(ev[1]["data"], 9);
    EXPECT_EQ(ev[1]["epoch"], r["epoch"]);
    // The id after the snapshot resumes in the new epoch without another reset.
    const auto id = last_data_id(again);
    again.close();
    set_ok(second, "prices:n", "GOOG", 2);
    sse_client third(second.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", id}});
    ASSERT_TRUE(third.ok());
    ASSERT_TRUE(wait_key(third, "GOOG", [](const json& e) { return e["data"] == 2; })) << third.body();
    EXPECT_EQ(third.events().size(), 1u) << third.body();
    EXPECT_EQ(third.events()[0].event, "message") << third.body();
}

TEST(KeyedResume, ACursorOlderThanTheRememberedDeletionsGetsHistoryGoneThenTheSnapshot) {
    test_server srv(keyed_config());  // max_keys 3: three deletions remembered
    set_ok(srv, "prices:n", "AAPL", 1);
    std::string cursor;
    {
        sse_client sub(srv.public_port(), sse_target({"prices:n"}));
        ASSERT_TRUE(wait_key(sub, "AAPL")) << sub.body();
        cursor = last_data_id(sub);
    }
    for (const char* k : {"B", "C", "D", "E"}) {
        set_ok(srv, "prices:n", k, 1);
        delete_ok(srv, "prices:n", k);
    }
    sse_client again(srv.public_port(), sse_target({"prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    set_ok(srv, "prices:n", "F", 1);
    ASSERT_TRUE(wait_key(again, "F")) << again.body();
    ASSERT_GE(again.events().size(), 1u);
    EXPECT_EQ(again.events()[0].event, "herald.reset") << again.body();
    EXPECT_EQ(parse_json(again.events()[0].data)["reason"], "history_gone") << again.body();
    EXPECT_EQ(keys_of(envelopes(again)), (std::vector<std::string>{"AAPL", "F"})) << again.body();
}

TEST(KeyedResume, AStreamOfAKeyedAndAnUnkeyedChannelResumesEachItsOwnWay) {
    test_server srv(keyed_config(1));
    set_ok(srv, "prices:n", "AAPL", 1);
    srv.publish("news", "n1");
    std::string cursor;
    {
        sse_client sub(srv.public_port(), sse_target({"news", "prices:n"}));
        ASSERT_TRUE(sub.ok()) << sub.error_body();
        ASSERT_TRUE(wait_key(sub, "AAPL")) << sub.body();  // the snapshot; news starts live
        srv.publish("news", "n2");
        ASSERT_TRUE(sub.wait_for([](const auto& m) { return m.data == "n2"; })) << sub.body();
        cursor = sub.events().back().id;
        ASSERT_EQ(sub.events().size(), 2u) << sub.body();
    }
    set_ok(srv, "prices:n", "AAPL", 2);
    set_ok(srv, "prices:n", "AAPL", 3);
    srv.publish("news", "n3");
    srv.publish("news", "n4");
    sse_client again(srv.public_port(), sse_target({"news", "prices:n"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    srv.publish("news", "live");
    ASSERT_TRUE(again.wait_for([](const auto& m) { return m.data == "live"; })) << again.body();
    std::vector<std::string> news;
    std::vector<json> prices;
    for (const auto& m : again.events()) {
        EXPECT_FALSE(is_control(m)) << m.event << " " << m.data;
        if (m.data.rfind("{", 0) == 0)
            prices.push_back(parse_json(m.data));
        else
            news.push_back(m.data);
    }
    EXPECT_EQ(news, (std::vector<std::string>{"n3", "n4", "live"})) << again.body();
    ASSERT_EQ(prices.size(), 1u) << again.body();
    EXPECT_EQ(prices[0]["key"], "AAPL");
    EXPECT_EQ(prices[0]["data"], 3);
}

// =================================================================================================
// 6. since=latest on SSE
// =================================================================================================

TEST(KeyedSse, SinceLatestOnAnUnkeyedChannelSendsTheNewestEventThenLive) {
    test_server srv(keyed_config());
    for (int i = 1; i <= 3; ++i) srv.publish("news", "n" + std::to_string(i));
    sse_client sub(srv.public_port(), sse_target({"news"}, "since=latest"));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    srv.publish("news", "n4");
    ASSERT_TRUE(sub.wait_for([](const auto& m) { return m.data == "n4"; })) << sub.body();
    std::vector<std::string> got;
    for (const auto& m : sub.events()) got.push_back(m.data);
    EXPECT_EQ(got, (std::vector<std::string>{"n3", "n4"})) << sub.body();
    // An unkeyed channel keeps its bare data.
    EXPECT_EQ(sub.events()[0].event, "message");
}

TEST(KeyedSse, SinceLatestOnAnEmptyChannelStartsLive) {
    test_server srv(keyed_config());
    sse_client sub(srv.public_port(), sse_target({"quiet"}, "since=latest"));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    srv.publish("quiet", "first");
    ASSERT_TRUE(sub.wait_events(1)) << sub.body();
    EXPECT_EQ(sub.events()[0].data, "first");
    EXPECT_EQ(sub.events().size(), 1u) << sub.body();
}

TEST(KeyedSse, SinceLatestOnAKeyedChannelSendsTheSnapshot) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    set_ok(srv, "prices:n", "AAPL", 2);
    sse_client sub(srv.public_port(), sse_target({"prices:n"}, "since=latest"));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    set_ok(srv, "prices:n", "GOOG", 1);
    ASSERT_TRUE(wait_key(sub, "GOOG")) << sub.body();
    auto ev = envelopes(sub);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"MSFT", "AAPL", "GOOG"})) << sub.body();
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{2, 3, 4})) << sub.body();
}

// =================================================================================================
// 7. WebSocket
// =================================================================================================

TEST(KeyedWs, SubscribeGetsSubscribedThenTheSnapshotThenLive) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", json{{"p", 1}});
    set_ok(srv, "prices:n", "MSFT", json{{"p", 2}});
    delete_ok(srv, "prices:n", "AAPL");
    set_ok(srv, "prices:n", "GOOG", json{{"p", 3}});
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("prices:n", 1));
    ASSERT_TRUE(c.wait_op("subscribed", 1)) << json(c.messages()).dump();
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    set_ok(srv, "prices:n", "AAPL", json{{"p", 4}});
    ASSERT_TRUE(wait_ws_key(c, "AAPL")) << json(c.messages()).dump();
    auto msgs = c.messages();
    ASSERT_GE(msgs.size(), 4u) << json(msgs).dump();
    EXPECT_TRUE(is_op(msgs[0], "subscribed")) << msgs[0];
    EXPECT_EQ(msgs[0]["channel"], "prices:n");
    auto ev = c.events();
    ASSERT_EQ(ev.size(), 3u) << json(msgs).dump();
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"MSFT", "GOOG", "AAPL"}));
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{2, 4, 5}));
    EXPECT_EQ(ev[0]["channel"], "prices:n");
    EXPECT_EQ(ev[0]["data"], (json{{"p", 2}}));
    EXPECT_TRUE(ev[0]["epoch"].is_string());
    EXPECT_EQ(ev[2]["data"], (json{{"p", 4}}));
    for (const auto& m : msgs) EXPECT_FALSE(is_op(m, "reset")) << m;
}

TEST(KeyedWs, QueryChannelsGetTheSnapshotToo) {
    test_server srv(keyed_config());
    for (int i = 0; i < 10; ++i) incr_ok(srv, "user:42", "unread", 1);
    ws_client c(srv.public_port(), ws_target({"user:42"}));
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.wait_events(1)) << json(c.messages()).dump();
    auto ev = c.events();
    EXPECT_EQ(ev[0]["key"], "unread");
    EXPECT_EQ(ev[0]["data"], 10);
}

TEST(KeyedWs, DeletionsArriveAsDeletedEvents) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("prices:n", "s"));
    ASSERT_TRUE(c.wait_op("subscribed", "s"));
    ASSERT_TRUE(c.wait_events(1));
    delete_ok(srv, "prices:n", "AAPL");
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    auto del = c.events()[1];
    EXPECT_EQ(del["key"], "AAPL");
    EXPECT_EQ(del["deleted"], true) << del;
    EXPECT_FALSE(del.contains("data")) << del;
    EXPECT_EQ(del["offset"], 2);
}

TEST(KeyedWs, SinceLatestOnAnUnkeyedChannelSendsTheNewestEvent) {
    test_server srv(keyed_config());
    for (int i = 1; i <= 3; ++i) srv.publish("news", i);
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("news", 1, "latest"));
    ASSERT_TRUE(c.wait_op("subscribed", 1)) << json(c.messages()).dump();
    ASSERT_TRUE(c.wait_events(1)) << json(c.messages()).dump();
    srv.publish("news", 4);
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    auto ev = c.events();
    EXPECT_EQ(ev[0]["data"], 3);
    EXPECT_EQ(ev[0]["offset"], 3);
    EXPECT_FALSE(ev[0].contains("key"));
    EXPECT_EQ(ev[1]["data"], 4);
    EXPECT_EQ(ev.size(), 2u);
    // And in the query.
    ws_client q(srv.public_port(), ws_target({"news"}, "since=latest"));
    ASSERT_TRUE(q.ok()) << q.error();
    ASSERT_TRUE(q.wait_events(1)) << json(q.messages()).dump();
    EXPECT_EQ(q.events()[0]["data"], 4);
}

TEST(KeyedWs, SinceLatestOnAKeyedChannelSendsTheSnapshot) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("prices:n", 1, "latest"));
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    EXPECT_EQ(keys_of(c.events()), (std::vector<std::string>{"AAPL", "MSFT"}));
}

TEST(KeyedWs, SinceEpochAndOffsetCatchesUpByKey) {
    test_server srv(keyed_config(1));
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    json last;
    {
        ws_client first(srv.public_port(), ws_target({"prices:n"}));
        ASSERT_TRUE(first.wait_events(2)) << json(first.messages()).dump();
        last = first.events().back();
    }
    set_ok(srv, "prices:n", "AAPL", 2);  // 3
    set_ok(srv, "prices:n", "AAPL", 3);  // 4
    delete_ok(srv, "prices:n", "MSFT");  // 5
    set_ok(srv, "prices:n", "GOOG", 1);  // 6
    ws_client again(srv.public_port());
    ASSERT_TRUE(again.ok()) << again.error();
    again.send_json(subscribe_cmd("prices:n", 1, {{"epoch", last["epoch"]}, {"offset", last["offset"]}}));
    auto reply = again.wait_op("subscribed", 1);
    ASSERT_TRUE(reply) << json(again.messages()).dump();
    EXPECT_EQ((*reply)["recovered"], true) << *reply;
    ASSERT_TRUE(again.wait_events(3)) << json(again.messages()).dump();
    set_ok(srv, "prices:n", "GOOG", 2);  // 7, live
    ASSERT_TRUE(wait_ws_key(again, "GOOG", [](const json& m) { return m["data"] == 2; }))
        << json(again.messages()).dump();
    auto ev = again.events();
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"AAPL", "MSFT", "GOOG", "GOOG"})) << json(ev).dump();
    EXPECT_EQ(offsets_of(ev), (std::vector<std::uint64_t>{4, 5, 6, 7})) << json(ev).dump();
    if (ev.size() == 4) {
        EXPECT_EQ(ev[0]["data"], 3);
        EXPECT_EQ(ev[1]["deleted"], true);
    }
    for (const auto& m : again.messages()) EXPECT_FALSE(is_op(m, "reset")) << m;
}

TEST(KeyedWs, SinceOfAnotherEpochOnAKeyedChannelGetsAResetThenTheSnapshot) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("prices:n", 1, {{"epoch", "not-this-epoch"}, {"offset", 1}}));
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    auto msgs = c.messages();
    ASSERT_GE(msgs.size(), 4u) << json(msgs).dump();
    EXPECT_TRUE(is_op(msgs[0], "subscribed")) << msgs[0];
    EXPECT_EQ(msgs[0]["recovered"], false);
    EXPECT_TRUE(is_op(msgs[1], "reset")) << msgs[1];
    EXPECT_EQ(msgs[1]["reason"], "epoch_changed");
    EXPECT_EQ(keys_of(c.events()), (std::vector<std::string>{"AAPL", "MSFT"}));
}

// =================================================================================================
// 8. The inspect API
// =================================================================================================

TEST(KeyedInspect, LatestOfAKeyedChannelListsItsLiveKeysOldestFirst) {
    test_server srv(keyed_config());
    auto first = set_ok(srv, "prices:n", "AAPL", json{{"p", 1}});
    set_ok(srv, "prices:n", "MSFT", json{{"p", 2}});
    set_ok(srv, "prices:n", "GOOG", json{{"p", 3}});
    set_ok(srv, "prices:n", "AAPL", json{{"p", 4}});
    delete_ok(srv, "prices:n", "MSFT");
    auto l = latest(srv, "prices:n");
    EXPECT_EQ(l["channel"], "prices:n");
    EXPECT_EQ(l["epoch"], first["epoch"]);
    EXPECT_EQ(l["keyed"], true);
    EXPECT_EQ(l["last_offset"], 5);
    ASSERT_EQ(l["events"].size(), 2u) << l;
    EXPECT_EQ(l["events"][0]["key"], "GOOG");
    EXPECT_EQ(l["events"][0]["offset"], 3);
    EXPECT_EQ(l["events"][0]["data"], (json{{"p", 3}}));
    EXPECT_EQ(l["events"][1]["key"], "AAPL");
    EXPECT_EQ(l["events"][1]["offset"], 4);
    EXPECT_EQ(l["events"][1]["data"], (json{{"p", 4}}));
    EXPECT_TRUE(l["events"][1]["published_at"].is_number_integer());
    for (const auto& e : l["events"]) EXPECT_FALSE(e.contains("deleted")) << e;
}

TEST(KeyedInspect, LatestOfAnUnkeyedChannelIsItsNewestEvent) {
    test_server srv(keyed_config());
    srv.publish("news", "one");
    auto r = srv.publish("news", json{{"n", 2}}, "update");
    auto l = latest(srv, "news");
    EXPECT_EQ(l["channel"], "news");
    EXPECT_EQ(l["keyed"], false);
    EXPECT_EQ(l["epoch"], r["epoch"]);
    EXPECT_EQ(l["last_offset"], 2);
    ASSERT_EQ(l["events"].size(), 1u) << l;
    EXPECT_EQ(l["events"][0]["offset"], 2);
    EXPECT_EQ(l["events"][0]["data"], (json{{"n", 2}}));
    EXPECT_EQ(l["events"][0]["event"], "update");
    EXPECT_FALSE(l["events"][0].contains("key"));
}

TEST(KeyedInspect, LatestOfAnUnknownChannelIsChannelNotFound) {
    test_server srv(keyed_config());
    expect_error(srv.request("GET", path_of("nothing") + "/latest"), 404, "channel_not_found", "unknown unkeyed");
    expect_error(srv.request("GET", path_of("prices:none") + "/latest"), 404, "channel_not_found", "unknown keyed");
    // Only on the internal listener: the public one does not serve the inspect API.
    set_ok(srv, "prices:n", "AAPL", 1);
    auto pub = srv.request("GET", path_of("prices:n") + "/latest", {}, {}, {}, true);
    EXPECT_NE(pub.status, 200u) << pub.body;
}

TEST(KeyedInspect, LatestOfAKeyedChannelWithSubscribersButNoPublishIsEmpty) {
    test_server srv(keyed_config());
    sse_client sub(srv.public_port(), sse_target({"prices:new"}));
    ASSERT_TRUE(sub.ok()) << sub.error_body();
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 1; }));
    auto l = latest(srv, "prices:new");
    EXPECT_EQ(l["keyed"], true) << l;
    EXPECT_TRUE(l["events"].is_array() && l["events"].empty()) << l;
    EXPECT_EQ(l["last_offset"], 0) << l;
}

TEST(KeyedInspect, HistoryShowsTheKeyOfEveryEventAndDeletionsWithoutData) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    delete_ok(srv, "prices:n", "AAPL");
    auto h = get_ok(srv, path_of("prices:n") + "/events?since=earliest");
    ASSERT_EQ(h["events"].size(), 2u) << h;
    EXPECT_EQ(h["events"][0]["key"], "AAPL");
    EXPECT_EQ(h["events"][0]["data"], 1);
    EXPECT_EQ(h["events"][1]["key"], "AAPL");
    EXPECT_EQ(h["events"][1]["deleted"], true) << h;
    EXPECT_FALSE(h["events"][1].contains("data")) << h;
}

TEST(KeyedInspect, ChannelInspectShowsKeyedMaxKeysAndTheLiveKeyCount) {
    test_server srv(keyed_config());
    set_ok(srv, "prices:n", "AAPL", 1);
    set_ok(srv, "prices:n", "MSFT", 1);
    set_ok(srv, "prices:n", "GOOG", 1);
    delete_ok(srv, "prices:n", "MSFT");
    auto j = get_ok(srv, path_of("prices:n"));
    EXPECT_EQ(j["policy"]["pattern"], "prices:*");
    EXPECT_EQ(j["policy"]["keyed"], true) << j;
    EXPECT_EQ(j["policy"]["max_keys"], 3) << j;
    EXPECT_EQ(j["keys"], 2) << j;
    EXPECT_EQ(j["last_offset"], 4);
    incr_ok(srv, "user:1", "n", 1);
    auto u = get_ok(srv, path_of("user:1"));
    EXPECT_EQ(u["policy"]["keyed"], true);
    EXPECT_EQ(u["policy"]["max_keys"], 1000) << u;  // the default
    EXPECT_EQ(u["keys"], 1) << u;
    srv.publish("news", 1);
    auto n = get_ok(srv, path_of("news"));
    EXPECT_EQ(n["policy"]["keyed"], false) << n;
    EXPECT_FALSE(n["policy"].contains("max_keys")) << n;
    EXPECT_FALSE(n.contains("keys")) << n;
}

// =================================================================================================
// 9. A counter outlives history.ttl (memory broker)
// =================================================================================================

TEST(KeyedTtl, ACounterSurvivesPastTheHistoryTtlInTheSameEpoch) {
    auto cfg = test_config();
    cfg.channels = {keyed_rule("user:*", std::nullopt, std::nullopt, 1000)};
    test_server srv(cfg);
    std::string epoch;
    for (int i = 0; i < 3; ++i) epoch = incr_ok(srv, "user:42", "unread", 1)["epoch"];
    set_ok(srv, "user:42", "name", "ada");
    std::string cursor;  // a page that saw both keys
    {
        sse_client before(srv.public_port(), sse_target({"user:42"}));
        ASSERT_TRUE(wait_key(before, "name")) << before.body();
        cursor = last_data_id(before);
    }
    std::this_thread::sleep_for(2500ms);  // the ttl twice over, and the broker's 1 s sweep
    auto h = get_ok(srv, path_of("user:42") + "/events?since=earliest");
    EXPECT_TRUE(h["events"].empty()) << h;  // plain history has expired
    auto l = latest(srv, "user:42");
    EXPECT_EQ(l["epoch"], epoch) << l;
    ASSERT_EQ(l["events"].size(), 2u) << l;
    EXPECT_EQ(l["events"][0]["key"], "unread");
    EXPECT_EQ(l["events"][0]["data"], 3);
    EXPECT_EQ(get_ok(srv, path_of("user:42"))["keys"], 2);
    // A new page still gets the values at once, and the counter counts on.
    sse_client page(srv.public_port(), sse_target({"user:42"}));
    ASSERT_TRUE(page.ok()) << page.error_body();
    ASSERT_TRUE(wait_key(page, "name")) << page.body();
    EXPECT_EQ(keys_of(envelopes(page)), (std::vector<std::string>{"unread", "name"})) << page.body();
    EXPECT_EQ(envelopes(page)[0]["data"], 3);
    auto next = incr_ok(srv, "user:42", "unread", 1);
    EXPECT_EQ(next["value"], 4);
    EXPECT_EQ(next["epoch"], epoch);
    // The page that left before the ttl catches up by key, without a reset.
    sse_client back(srv.public_port(), sse_target({"user:42"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(back.ok()) << back.error_body();
    ASSERT_TRUE(wait_key(back, "unread")) << back.body();
    set_ok(srv, "user:42", "name", "grace");  // live
    ASSERT_TRUE(wait_key(back, "name")) << back.body();
    auto ev = envelopes(back);
    EXPECT_EQ(keys_of(ev), (std::vector<std::string>{"unread", "name"})) << back.body();
    if (ev.size() == 2) {
        EXPECT_EQ(ev[0]["data"], 4);
        EXPECT_EQ(ev[1]["data"], "grace");
    }
    for (const auto& m : back.events()) EXPECT_FALSE(is_control(m)) << m.event << " " << m.data;
}

}  // namespace
}  // namespace herald::test
