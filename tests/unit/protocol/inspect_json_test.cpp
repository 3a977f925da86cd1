// protocol/inspect_json: the exact bytes of each inspect API reply body: member order, null for
// a time never set, a user-less connection and the last page's cursor, quoting of names, text
// events quoted and JSON events as stored, invalid UTF-8 replaced with U+FFFD.
#include "lib/protocol/inspect_json.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace herald::protocol {
namespace {

channel_summary news() { return {"news", "e1", 7, 3, 5, 9, 1'700'000'000'123}; }

TEST(InspectJson, ChannelListWithNextCursor) {
    std::vector<channel_list_entry> entries{{news(), 2}, {{"sports", "e2", 0, 1, 0, 0, 0}, 0}};
    EXPECT_EQ(channel_list_json(entries, true),
              R"({"channels":[{"channel":"news","subscribers":2,"epoch":"e1","last_offset":7,"history_size":5,)"
              R"("publishes":9,"last_published_at":1700000000123},{"channel":"sports","subscribers":0,"epoch":"e2",)"
              R"("last_offset":0,"history_size":0,"publishes":0,"last_published_at":null}],"next_cursor":"sports"})");
}

TEST(InspectJson, ChannelListLastPageAndEmpty) {
    std::vector<channel_list_entry> entries{{news(), 1}};
    EXPECT_EQ(channel_list_json(entries, false),
              R"({"channels":[{"channel":"news","subscribers":1,"epoch":"e1","last_offset":7,"history_size":5,)"
              R"("publishes":9,"last_published_at":1700000000123}],"next_cursor":null})");
    EXPECT_EQ(channel_list_json({}, false), R"({"channels":[],"next_cursor":null})");
    EXPECT_EQ(channel_list_json({}, true), R"({"channels":[],"next_cursor":null})");
}

const std::string default_policy =
    R"("policy":{"pattern":null,"history_size":100,"history_ttl_ms":600000,"history_max_bytes":1048576,"public":false,)"
    R"("keyed":false,"slow_consumer":"disconnect"})";

channel_policy_summary defaults() { return {std::nullopt, 100, 600000, 1048576, false}; }

TEST(InspectJson, Channel) {
    EXPECT_EQ(channel_json(news(), {3, 4}, defaults()),
              R"({"channel":"news","subscribers":{"sse":3,"ws":4,"total":7},"epoch":"e1","last_offset":7,)"
              R"("first_available":3,"history_size":5,"publishes":9,"last_published_at":1700000000123,)" +
                  default_policy + "}");
    EXPECT_EQ(channel_json({"a", "e", 0, 1, 0, 0, 0}, {}, defaults()),
              R"({"channel":"a","subscribers":{"sse":0,"ws":0,"total":0},"epoch":"e","last_offset":0,)"
              R"("first_available":1,"history_size":0,"publishes":0,"last_published_at":null,)" +
                  default_policy + "}");
}

TEST(InspectJson, ChannelPolicyNamesThePatternThatMatched) {
    EXPECT_EQ(channel_json({"p:a", "e", 0, 1, 0, 0, 0}, {}, {"p:*", 3, 2000, 4096, true}),
              R"({"channel":"p:a","subscribers":{"sse":0,"ws":0,"total":0},"epoch":"e","last_offset":0,)"
              R"("first_available":1,"history_size":0,"publishes":0,"last_published_at":null,)"
              R"("policy":{"pattern":"p:*","history_size":3,"history_ttl_ms":2000,"history_max_bytes":4096,)"
              R"("public":true,"keyed":false,"slow_consumer":"disconnect"}})");
}

TEST(InspectJson, QuotesNamesAndReplacesInvalidUtf8) {
    channel_summary c = news();
    c.channel = "a\"b\\c\xff";
    EXPECT_EQ(channel_json(c, {}, defaults()),
              "{\"channel\":\"a\\\"b\\\\c\xEF\xBF\xBD\",\"subscribers\":{\"sse\":0,\"ws\":0,\"total\":0},\"epoch\":\"e1\","
              "\"last_offset\":7,\"first_available\":3,\"history_size\":5,\"publishes\":9,"
              "\"last_published_at\":1700000000123," +
                  default_policy + "}");
}

model::event_ptr make_event(std::uint64_t offset, std::string name, std::string data, model::data_kind kind) {
    model::event ev;
    ev.channel = "news";
    ev.offset = offset;
    ev.epoch = "e1";
    ev.name = std::move(name);
    ev.data = std::move(data);
    ev.kind = kind;
    ev.published_at = 1000 + offset;
    return std::make_shared<const model::event>(std::move(ev));
}

TEST(InspectJson, HistoryEvent) {
    EXPECT_EQ(history_event_json(*make_event(4, "", R"({"x":1})", model::data_kind::json)),
              R"({"offset":4,"epoch":"e1","data":{"x":1},"published_at":1004})");
    EXPECT_EQ(history_event_json(*make_event(5, "up\"d", "hi \"there\"\n", model::data_kind::text)),
              R"({"offset":5,"epoch":"e1","event":"up\"d","data":"hi \"there\"\n","published_at":1005})");
}

TEST(InspectJson, KeyedHistoryEventsNameTheKeyAndDeletionsHaveNoData) {
    auto set = std::make_shared<model::event>(*make_event(6, "", "3", model::data_kind::json));
    set->key = "unread";
    EXPECT_EQ(history_event_json(*set), R"({"offset":6,"epoch":"e1","key":"unread","data":3,"published_at":1006})");
    auto gone = std::make_shared<model::event>(*set);
    gone->deleted = true;
    gone->data.clear();
    EXPECT_EQ(history_event_json(*gone), R"({"offset":6,"epoch":"e1","key":"unread","deleted":true,"published_at":1006})");
}

TEST(InspectJson, ChannelLatestShowsLiveKeysOnly) {
    auto a = std::make_shared<model::event>(*make_event(2, "", "1", model::data_kind::json));
    a->key = "a";
    auto b = std::make_shared<model::event>(*make_event(3, "", "", model::data_kind::json));
    b->key = "b";
    b->deleted = true;
    std::vector<model::event_ptr> events{a, b};
    EXPECT_EQ(channel_latest_json("user:1", "e1", true, events, 3),
              R"({"channel":"user:1","epoch":"e1","keyed":true,"events":[{"offset":2,"epoch":"e1","key":"a","data":1,)"
              R"("published_at":1002}],"last_offset":3})");
    EXPECT_EQ(channel_latest_json("news", "e1", false, {}, 0),
              R"({"channel":"news","epoch":"e1","keyed":false,"events":[],"last_offset":0})");
}

TEST(InspectJson, AKeyedChannelShowsItsKeysAndMaxKeys) {
    channel_policy_summary p{"user:*", 100, 600000, 1048576, false, true, 50, 100, "conflate"};
    channel_summary c{"user:1", "e", 4, 1, 4, 4, 0, 2};
    const auto j = channel_json(c, {}, p);
    EXPECT_NE(j.find(R"("keyed":true,"max_keys":50,"conflate_ms":100,"slow_consumer":"conflate"})"), std::string::npos) << j;
    EXPECT_NE(j.find(R"(,"keys":2})"), std::string::npos) << j;
}

TEST(InspectJson, ChannelHistory) {
    std::vector<model::event_ptr> events{make_event(4, "", "[1,2]", model::data_kind::json),
                                         make_event(5, "tick", "t", model::data_kind::text)};
    EXPECT_EQ(channel_history_json("news", "e1", events, 4, 5),
              R"({"channel":"news","epoch":"e1","events":[{"offset":4,"epoch":"e1","data":[1,2],"published_at":1004},)"
              R"({"offset":5,"epoch":"e1","event":"tick","data":"t","published_at":1005}],"first_available":4,)"
              R"("last_offset":5})");
    EXPECT_EQ(channel_history_json("a/\"b", "e2", {}, 1, 0),
              R"({"channel":"a/\"b","epoch":"e2","events":[],"first_available":1,"last_offset":0})");
}

TEST(InspectJson, Connections) {
    std::vector<connection_summary> shown{
        {1, "alice", "sse", false, {"news", "user:alice"}, "203.0.113.7:50412", 1'700'000'000'000, 0},
        {2, std::nullopt, "ws", true, {}, "[2001:db8::1]:443", 5, 1234},
    };
    EXPECT_EQ(connections_json(shown, 3),
              R"({"connections":[{"id":1,"user":"alice","transport":"sse","listener":"public",)"
              R"("channels":["news","user:alice"],"remote":"203.0.113.7:50412","connected_at":1700000000000,)"
              R"("outbox_bytes":0},{"id":2,"user":null,"transport":"ws","listener":"internal","channels":[],)"
              R"("remote":"[2001:db8::1]:443","connected_at":5,"outbox_bytes":1234}],"total":3})");
    EXPECT_EQ(connections_json({}, 0), R"({"connections":[],"total":0})");
}

TEST(InspectJson, Stats) {
    node_stats s;
    s.version = "1.2.3";
    s.broker = "memory";
    s.started_at_ms = 1'700'000'000'000;
    s.uptime_ms = 42;
    s.sse_open = 1;
    s.ws_open = 2;
    s.connections_open = 4;
    s.channels = 5;
    s.broker_channels = 6;
    s.subscriptions = 7;
    s.history_events = 8;
    s.publishes = 9;
    s.publish_errors = 10;
    s.deliveries = 11;
    s.bytes_out = 12;
    s.slow_consumer_disconnects = 13;
    EXPECT_EQ(stats_json(s),
              R"({"version":"1.2.3","broker":"memory","started_at":1700000000000,"uptime_ms":42,)"
              R"("connections":{"sse":1,"ws":2,"total":4},"channels":5,"broker_channels":6,"subscriptions":7,)"
              R"("history_events":8,"publishes":9,"publish_errors":10,"deliveries":11,"bytes_out":12,)"
              R"("slow_consumer_disconnects":13})");
}

}  // namespace
}  // namespace herald::protocol
