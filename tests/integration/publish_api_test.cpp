// The publish API on the internal listener over real sockets: single events, channels fan-in,
// batches with per-item results, raw bodies (text and JSON, ?event=), idempotency keys, and the
// reply fields (offset, epoch, delivered_local = connected subscribers).
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

TEST(PublishApi, SingleEventRepliesWithPosition) {
    test_server srv;
    auto r = srv.post_json("/v1/publish", {{"channel", "news"}, {"data", {{"n", 1}}}});
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    auto j = parse_json(r.body);
    EXPECT_EQ(j["channel"], "news");
    EXPECT_EQ(j["offset"], 1);
    EXPECT_TRUE(j["epoch"].is_string());
    EXPECT_FALSE(j["epoch"].get<std::string>().empty());
    EXPECT_EQ(j["delivered_local"], 0);
    EXPECT_FALSE(j.contains("duplicate"));
    auto second = srv.publish("news", 2);
    EXPECT_EQ(second["offset"], 2);
    EXPECT_EQ(second["epoch"], j["epoch"]);
    // Offsets are per channel.
    EXPECT_EQ(srv.publish("other", 1)["offset"], 1);
}

TEST(PublishApi, DeliveredLocalCountsConnectedSubscribers) {
    test_server srv;
    EXPECT_EQ(srv.publish("d", 0)["delivered_local"], 0);
    sse_client a(srv.public_port(), sse_target({"d"}));
    sse_client b(srv.internal_port(), sse_target({"d", "other"}));
    sse_client unrelated(srv.public_port(), sse_target({"other"}));
    ASSERT_TRUE(a.ok() && b.ok() && unrelated.ok());
    EXPECT_EQ(srv.publish("d", 1)["delivered_local"], 2);
    ASSERT_TRUE(a.wait_events(1));
    ASSERT_TRUE(b.wait_events(1));
    a.close();
    // The server notices the close asynchronously.
    EXPECT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 3; }));
    EXPECT_EQ(srv.publish("d", 2)["delivered_local"], 1);
}

TEST(PublishApi, ChannelsFanInPublishesToEachChannel) {
    test_server srv;
    sse_client a(srv.public_port(), sse_target({"fa"}));
    sse_client b(srv.public_port(), sse_target({"fb"}));
    ASSERT_TRUE(a.ok() && b.ok());
    srv.publish("fb", "earlier");
    auto r = srv.post_json("/v1/publish", {{"channels", {"fa", "fb"}}, {"event", "both"}, {"data", "hi"}});
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = parse_json(r.body);
    ASSERT_TRUE(j["results"].is_array()) << j;
    ASSERT_EQ(j["results"].size(), 2u);
    EXPECT_EQ(j["results"][0]["channel"], "fa");
    EXPECT_EQ(j["results"][0]["offset"], 1);
    EXPECT_EQ(j["results"][0]["delivered_local"], 1);
    EXPECT_EQ(j["results"][1]["channel"], "fb");
    EXPECT_EQ(j["results"][1]["offset"], 2);
    ASSERT_TRUE(a.wait_events(1));
    ASSERT_TRUE(b.wait_events(2));
    EXPECT_EQ(a.events()[0].event, "both");
    EXPECT_EQ(a.events()[0].data, "hi");
    EXPECT_EQ(b.events()[1].data, "hi");
}

TEST(PublishApi, BatchGivesPerItemResultsAndPublishesTheGoodOnes) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"batch"}));
    ASSERT_TRUE(sub.ok());
    json body{{"events",
               {{{"channel", "batch"}, {"data", 1}},
                {{"channel", "bad channel"}, {"data", 2}},
                {{"channel", "batch"}},
                {{"channel", "batch"}, {"data", 3}}}}};
    auto r = srv.post_json("/v1/publish", body);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = parse_json(r.body);
    ASSERT_EQ(j["results"].size(), 4u) << j;
    EXPECT_EQ(j["results"][0]["offset"], 1);
    EXPECT_EQ(j["results"][1]["error"]["code"], "invalid_channel");
    EXPECT_EQ(j["results"][2]["error"]["code"], "missing_field");
    EXPECT_NE(j["results"][2]["error"]["message"].get<std::string>().find("data"), std::string::npos);
    EXPECT_EQ(j["results"][3]["offset"], 2);
    ASSERT_TRUE(sub.wait_events(2));
    EXPECT_EQ(sub.events()[0].data, "1");
    EXPECT_EQ(sub.events()[1].data, "3");
}

TEST(PublishApi, RawTextBodyPublishesText) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"raw"}));
    ASSERT_TRUE(sub.ok());
    auto r = srv.request("POST", "/v1/channels/raw/events", "hello world", "text/plain");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = parse_json(r.body);
    EXPECT_EQ(j["channel"], "raw");
    EXPECT_EQ(j["offset"], 1);
    EXPECT_EQ(j["delivered_local"], 1);
    // curl -d sends application/x-www-form-urlencoded; the body is still text.
    auto curl_like =
        srv.request("POST", "/v1/channels/raw/events", "{not json", "application/x-www-form-urlencoded");
    EXPECT_EQ(curl_like.status, 200u) << curl_like.body;
    ASSERT_TRUE(sub.wait_events(2));
    EXPECT_EQ(sub.events()[0].data, "hello world");
    EXPECT_EQ(sub.events()[1].data, "{not json");
}

TEST(PublishApi, RawJsonBodyPublishesCompactJson) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"raw"}));
    ASSERT_TRUE(sub.ok());
    auto r = srv.request("POST", "/v1/channels/raw/events", "{ \"a\" : [1, 2] }", "application/json");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto s = srv.request("POST", "/v1/channels/raw/events", "\"a json string\"", "application/json");
    ASSERT_EQ(s.status, 200u) << s.body;
    ASSERT_TRUE(sub.wait_events(2));
    EXPECT_EQ(sub.events()[0].data, R"({"a":[1,2]})");
    EXPECT_EQ(sub.events()[1].data, "a json string");
    auto bad = srv.request("POST", "/v1/channels/raw/events", "{oops", "application/json");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(parse_json(bad.body)["error"]["code"], "invalid_json");
}

TEST(PublishApi, RawBodyTakesTheEventNameFromTheQuery) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"raw"}));
    ASSERT_TRUE(sub.ok());
    auto r = srv.request("POST", "/v1/channels/raw/events?event=ping", "pong", "text/plain");
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_TRUE(sub.wait_events(1));
    EXPECT_EQ(sub.events()[0].event, "ping");
    EXPECT_EQ(sub.events()[0].data, "pong");
    auto reserved = srv.request("POST", "/v1/channels/raw/events?event=herald.reset", "x", "text/plain");
    EXPECT_EQ(reserved.status, 400u) << reserved.body;
    EXPECT_NE(parse_json(reserved.body)["error"]["message"].get<std::string>().find("herald."), std::string::npos);
}

TEST(PublishApi, RawBodyChannelNameIsPercentDecodedAndValidated) {
    test_server srv;
    auto r = srv.request("POST", "/v1/channels/user%3A42/events", "hi", "text/plain");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(parse_json(r.body)["channel"], "user:42");
    auto bad = srv.request("POST", "/v1/channels/a%20b/events", "hi", "text/plain");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(parse_json(bad.body)["error"]["code"], "invalid_channel");
}

TEST(PublishApi, IdempotencyKeyPublishesOnce) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"idem"}));
    ASSERT_TRUE(sub.ok());
    json body{{"channel", "idem"}, {"data", "once"}, {"idempotency_key", "k1"}};
    auto first = srv.post_json("/v1/publish", body);
    auto second = srv.post_json("/v1/publish", body);
    ASSERT_EQ(first.status, 200u) << first.body;
    ASSERT_EQ(second.status, 200u) << second.body;
    auto a = parse_json(first.body), b = parse_json(second.body);
    EXPECT_EQ(a["offset"], b["offset"]);
    EXPECT_EQ(a["epoch"], b["epoch"]);
    EXPECT_FALSE(a.contains("duplicate"));
    EXPECT_EQ(b["duplicate"], true);
    srv.publish("idem", "marker");
    ASSERT_TRUE(sub.wait_events(2));
    EXPECT_EQ(sub.events()[0].data, "once");
    EXPECT_EQ(sub.events()[1].data, "marker");
    EXPECT_TRUE(srv.wait_metric("herald_publishes_duplicate_total", [](double v) { return v == 1; }));
}

TEST(PublishApi, IdempotencyKeyOnRawBodyByHeaderOrQuery) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"idem"}));
    ASSERT_TRUE(sub.ok());
    auto h1 = srv.request("POST", "/v1/channels/idem/events", "a", "text/plain", {{"Idempotency-Key", "h"}});
    auto h2 = srv.request("POST", "/v1/channels/idem/events", "a", "text/plain", {{"Idempotency-Key", "h"}});
    auto q1 = srv.request("POST", "/v1/channels/idem/events?idempotency_key=q", "b", "text/plain");
    auto q2 = srv.request("POST", "/v1/channels/idem/events?idempotency_key=q", "b", "text/plain");
    for (auto* r : {&h1, &h2, &q1, &q2}) ASSERT_EQ(r->status, 200u) << r->body;
    EXPECT_EQ(parse_json(h1.body)["offset"], parse_json(h2.body)["offset"]);
    EXPECT_EQ(parse_json(h2.body)["duplicate"], true);
    EXPECT_EQ(parse_json(q1.body)["offset"], parse_json(q2.body)["offset"]);
    EXPECT_EQ(parse_json(q2.body)["duplicate"], true);
    EXPECT_NE(parse_json(h1.body)["offset"], parse_json(q1.body)["offset"]);
    srv.publish("idem", "marker");
    ASSERT_TRUE(sub.wait_events(3));
    EXPECT_EQ(sub.events()[0].data, "a");
    EXPECT_EQ(sub.events()[1].data, "b");
    EXPECT_EQ(sub.events()[2].data, "marker");
}

TEST(PublishApi, SameIdempotencyKeyOnAnotherChannelIsIndependent) {
    test_server srv;
    auto a = srv.post_json("/v1/publish", {{"channel", "k1"}, {"data", 1}, {"idempotency_key", "same"}});
    auto b = srv.post_json("/v1/publish", {{"channel", "k2"}, {"data", 1}, {"idempotency_key", "same"}});
    EXPECT_FALSE(parse_json(a.body).contains("duplicate"));
    EXPECT_FALSE(parse_json(b.body).contains("duplicate"));
}

TEST(PublishApi, ConcurrentPublishersGetDistinctConsecutiveOffsets) {
    test_server srv;
    constexpr int threads = 4, each = 25;
    std::vector<std::thread> pool;
    std::mutex m;
    std::vector<int> offsets;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            auto url = *client::parse_url(srv.internal_url());
            for (int i = 0; i < each; ++i) {
                auto r = client::http_request(url, "POST", "/v1/channels/conc/events", "x", "text/plain");
                if (!r || r->status != 200) continue;
                auto j = json::parse(r->body, nullptr, false);
                std::lock_guard lock(m);
                offsets.push_back(j.value("offset", 0));
            }
        });
    for (auto& t : pool) t.join();
    std::sort(offsets.begin(), offsets.end());
    ASSERT_EQ(offsets.size(), static_cast<std::size_t>(threads * each));
    for (int i = 0; i < threads * each; ++i) EXPECT_EQ(offsets[i], i + 1);
}

TEST(PublishApi, HealthzAndMetricsAnswer) {
    test_server srv;
    auto h = srv.request("GET", "/healthz");
    EXPECT_EQ(h.status, 200u);
    EXPECT_EQ(parse_json(h.body)["status"], "ok");
    auto hp = srv.request("GET", "/healthz", {}, {}, {}, true);
    EXPECT_EQ(hp.status, 200u);
    srv.publish("m", 1);
    auto m = srv.request("GET", "/metrics");
    EXPECT_EQ(m.status, 200u);
    EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u);
    EXPECT_NE(m.body.find("# TYPE herald_publishes_total counter"), std::string::npos);
    EXPECT_EQ(srv.metric("herald_publishes_total"), 1.0);
    // /metrics is internal only.
    EXPECT_EQ(srv.request("GET", "/metrics", {}, {}, {}, true).status, 404u);
}

}  // namespace
}  // namespace herald::test
