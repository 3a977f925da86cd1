// Channel policies: parsing the `channels` list (every problem at once, with its path), the checks
// against other settings, first-match resolution with the global fallbacks, user: channels never
// public, the change log lines, and the rendered docs section naming every option.
#include "lib/config/channel_policies.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace herald::config {
namespace {

using nlohmann::json;

std::vector<problem> load(config& c, const std::string& text) {
    std::vector<problem> p;
    apply_json(c, json::parse(text), "f.json", p);
    validate(c, p);
    return p;
}

bool has(const std::vector<problem>& ps, const std::string& key, const std::string& words) {
    for (const auto& p : ps)
        if (p.key == key && p.message.find(words) != std::string::npos) return true;
    return false;
}

TEST(ChannelPolicies, ParsesEveryOptionWithTheGlobalParsers) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"prices:*","history_size":500,"history_ttl":"30s",
                                      "history_max_bytes":131072,"public":true},
                                     {"pattern":"news","history_ttl":2000,"public":false}]})");
    ASSERT_TRUE(p.empty()) << format_problem(p[0]);
    ASSERT_EQ(c.channels.size(), 2u);
    EXPECT_EQ(c.channels[0].pattern, "prices:*");
    EXPECT_EQ(c.channels[0].history_size, 500u);
    EXPECT_EQ(c.channels[0].history_ttl_ms, 30000);
    EXPECT_EQ(c.channels[0].history_max_bytes, 131072u);
    EXPECT_EQ(c.channels[0].public_channel, true);
    EXPECT_EQ(c.channels[1].history_ttl_ms, 2000);
    EXPECT_FALSE(c.channels[1].history_size);
    EXPECT_EQ(c.channels[1].public_channel, false);
}

TEST(ChannelPolicies, ReportsEveryProblemAtOnceWithItsPath) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"a","history_size":0},
                                     {"pattern":"b","history_ttl":"soon","public":"yes"},
                                     {"history_size":5},
                                     {"pattern":"c*d","conflate":"soon","colour":"red"},
                                     {"pattern":"e","history_max_bytes":100,"history_ttl":"500ms"},
                                     7]})");
    EXPECT_TRUE(has(p, "channels[0].history_size", "out of range: expected 1 to 100000")) << p.size();
    EXPECT_TRUE(has(p, "channels[1].history_ttl", "duration"));
    EXPECT_TRUE(has(p, "channels[1].public", "true or false"));
    EXPECT_TRUE(has(p, "channels[2].pattern", "missing"));
    EXPECT_TRUE(has(p, "channels[3].conflate", "10ms to 60s"));
    EXPECT_TRUE(has(p, "channels[3].colour", "unknown channel option"));
    EXPECT_TRUE(has(p, "channels[3].pattern", "not valid"));
    EXPECT_TRUE(has(p, "channels[4].history_max_bytes", "out of range"));
    EXPECT_TRUE(has(p, "channels[4].history_ttl", "out of range"));
    EXPECT_TRUE(has(p, "channels[5]", "expected an object"));
    EXPECT_EQ(p.size(), 10u);
    for (const auto& q : p) EXPECT_EQ(q.source.empty() ? "f.json" : q.source, "f.json") << q.key;
}

TEST(ChannelPolicies, KeyedChannelsTakeMaxKeysAndTheDefault) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"prices:*","keyed":true,"max_keys":500},
                                     {"pattern":"user:*","keyed":true},
                                     {"pattern":"news"}]})");
    ASSERT_TRUE(p.empty()) << format_problem(p[0]);
    channel_policies pol(c);
    auto prices = pol.resolve("prices:n");
    EXPECT_TRUE(prices.keyed);
    EXPECT_EQ(prices.max_keys, 500u);
    EXPECT_EQ(pol.storage("user:1").max_keys, default_max_keys);
    EXPECT_TRUE(pol.storage("user:1").keyed);
    EXPECT_FALSE(pol.resolve("news").keyed);
    EXPECT_EQ(pol.resolve("news").max_keys, 0u);
    EXPECT_EQ(describe_rule(c.channels[0]), "prices:* (keyed, max_keys 500)");
}

TEST(ChannelPolicies, KeyedOptionsAreChecked) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"a","keyed":"yes"},{"pattern":"b","max_keys":0},
                                     {"pattern":"c","keyed":true,"max_keys":100001},{"pattern":"d","max_keys":5}]})");
    EXPECT_TRUE(has(p, "channels[0].keyed", "true or false"));
    EXPECT_TRUE(has(p, "channels[1].max_keys", "from 1 to 100000"));
    EXPECT_TRUE(has(p, "channels[2].max_keys", "from 1 to 100000"));
    EXPECT_TRUE(has(p, "channels[3].max_keys", "keyed channels only"));
    EXPECT_EQ(p.size(), 4u);
}

TEST(ChannelPolicies, ConflationAndSlowConsumerModes) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"ticker:*","keyed":true,"conflate":"100ms","slow_consumer":"conflate"},
                                     {"pattern":"feed:*","slow_consumer":"drop_oldest"},
                                     {"pattern":"fast:*","keyed":true,"conflate":250}]})");
    ASSERT_TRUE(p.empty()) << format_problem(p[0]);
    channel_policies pol(c);
    EXPECT_EQ(pol.delivery("ticker:n").conflate_ms, 100);
    EXPECT_EQ(pol.delivery("ticker:n").slow_consumer, slow_consumer_mode::conflate);
    EXPECT_EQ(pol.delivery("feed:a").slow_consumer, slow_consumer_mode::drop_oldest);
    EXPECT_EQ(pol.delivery("fast:x").conflate_ms, 250);
    EXPECT_EQ(pol.delivery("other").slow_consumer, slow_consumer_mode::disconnect);
    EXPECT_EQ(pol.delivery("other").conflate_ms, 0);
    EXPECT_EQ(pol.resolve("ticker:n").conflate_ms, 100);
    EXPECT_EQ(describe_rule(c.channels[0]), "ticker:* (keyed, conflate 100 ms, slow_consumer conflate)");
}

TEST(ChannelPolicies, ConflationAndSlowConsumerModesAreChecked) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"a","keyed":true,"conflate":"5ms"},
                                     {"pattern":"b","keyed":true,"conflate":"2m"},
                                     {"pattern":"c","keyed":true,"conflate":"soon"},
                                     {"pattern":"d","conflate":"100ms"},
                                     {"pattern":"e","slow_consumer":"conflate"},
                                     {"pattern":"f","keyed":true,"slow_consumer":"drop_oldest"},
                                     {"pattern":"g","slow_consumer":"wait"}]})");
    EXPECT_TRUE(has(p, "channels[0].conflate", "10ms to 60s"));
    EXPECT_TRUE(has(p, "channels[1].conflate", "10ms to 60s"));
    EXPECT_TRUE(has(p, "channels[2].conflate", "10ms to 60s"));
    EXPECT_TRUE(has(p, "channels[3].conflate", "keyed channels only"));
    EXPECT_TRUE(has(p, "channels[4].slow_consumer", "keyed channels only"));
    EXPECT_TRUE(has(p, "channels[5].slow_consumer", "use conflate"));
    EXPECT_TRUE(has(p, "channels[6].slow_consumer", "disconnect, conflate or drop_oldest"));
    EXPECT_EQ(p.size(), 7u);
}

TEST(ChannelPolicies, APublishsKeyMustFitThePolicy) {
    config c;
    ASSERT_TRUE(load(c, R"({"channels":[{"pattern":"prices:*","keyed":true}]})").empty());
    channel_policies pol(c);
    model::publish_request r;
    r.channel = "prices:n";
    auto e = pol.key_refusal(r);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "key_required");
    r.key = "AAPL";
    EXPECT_FALSE(pol.key_refusal(r));
    r.channel = "news";
    e = pol.key_refusal(r);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "channel_not_keyed");
    r.key.clear();
    EXPECT_FALSE(pol.key_refusal(r));
}

TEST(ChannelPolicies, NotAListIsAProblem) {
    config c;
    auto p = load(c, R"({"channels":{"pattern":"a"}})");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].key, "channels");
}

TEST(ChannelPolicies, UserChannelsCannotBeMadePublic) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"user:*","public":true},{"pattern":"user:42","public":true}]})");
    EXPECT_TRUE(has(p, "channels[0].public", "no policy can make them public"));
    EXPECT_TRUE(has(p, "channels[1].public", "no policy can make them public"));
    // A broad pattern may be public: its user: channels stay private when resolved.
    config d;
    EXPECT_TRUE(load(d, R"({"channels":[{"pattern":"*","public":true}]})").empty());
    channel_policies pol(d);
    EXPECT_TRUE(pol.resolve("news").public_channel);
    EXPECT_FALSE(pol.resolve("user:42").public_channel);
    EXPECT_EQ(pol.resolve("user:42").pattern, "*");
}

TEST(ChannelPolicies, AShadowedEntryIsAProblem) {
    config c;
    auto p = load(c, R"({"channels":[{"pattern":"prices:*","history_size":5},{"pattern":"prices:aapl","history_size":9},
                                     {"pattern":"news","public":true},{"pattern":"news","public":false}]})");
    EXPECT_TRUE(has(p, "channels[1].pattern", "channels[0]"));
    EXPECT_TRUE(has(p, "channels[3].pattern", "channels[2]"));
    EXPECT_EQ(p.size(), 2u);
    config ok;
    EXPECT_TRUE(load(ok, R"({"channels":[{"pattern":"prices:aapl","history_size":9},{"pattern":"prices:*"}]})").empty());
}

TEST(ChannelPolicies, MaxBytesMustHoldTheLargestEvent) {
    config c;
    auto p = load(c, R"({"limits":{"max_event_bytes":4096},"channels":[{"pattern":"a","history_max_bytes":2048}]})");
    EXPECT_TRUE(has(p, "channels[0].history_max_bytes", "4096"));
}

TEST(ChannelPolicies, FirstMatchWinsThenTheGlobalSettings) {
    config c;
    auto p = load(c, R"({"history":{"size":50,"ttl":"1m","max_bytes":200000},
                        "auth":{"public_channels":["news","prices:*"]},
                        "channels":[{"pattern":"prices:aapl","history_size":3},
                                    {"pattern":"prices:*","history_ttl":"30s","public":false},
                                    {"pattern":"sports:*","public":true}]})");
    ASSERT_TRUE(p.empty()) << format_problem(p[0]);
    channel_policies pol(c);
    auto aapl = pol.resolve("prices:aapl");
    EXPECT_EQ(aapl.pattern, "prices:aapl");
    EXPECT_EQ(aapl.history_size, 3u);
    EXPECT_EQ(aapl.history_ttl_ms, 60000);  // not the later entry's: the first match decides alone
    EXPECT_EQ(aapl.history_max_bytes, 200000u);
    EXPECT_TRUE(aapl.public_channel);  // unset: auth.public_channels matches
    auto msft = pol.resolve("prices:msft");
    EXPECT_EQ(msft.pattern, "prices:*");
    EXPECT_EQ(msft.history_size, 50u);
    EXPECT_EQ(msft.history_ttl_ms, 30000);
    EXPECT_FALSE(msft.public_channel);  // false wins over auth.public_channels
    EXPECT_TRUE(pol.resolve("sports:f1").public_channel);
    auto news = pol.resolve("news");
    EXPECT_FALSE(news.pattern);
    EXPECT_TRUE(news.public_channel);
    EXPECT_EQ(news.history_size, 50u);
    EXPECT_FALSE(pol.resolve("other").public_channel);
    for (const auto* ch : {"prices:aapl", "prices:msft", "news", "other"}) {
        const auto h = pol.storage(ch);
        const auto r = pol.resolve(ch);
        EXPECT_EQ(h.size, r.history_size) << ch;
        EXPECT_EQ(h.ttl_ms, r.history_ttl_ms) << ch;
        EXPECT_EQ(h.max_bytes, r.history_max_bytes) << ch;
    }
}

TEST(ChannelPolicies, DescribesChanges) {
    config a, b;
    ASSERT_TRUE(load(a, R"({"channels":[{"pattern":"p:*","history_size":3},{"pattern":"gone","public":true}]})").empty());
    ASSERT_TRUE(load(b, R"({"channels":[{"pattern":"p:*","history_size":5},{"pattern":"new","history_ttl":"2s"}]})").empty());
    EXPECT_TRUE(describe_policy_changes(a.channels, a.channels).empty());
    auto lines = describe_policy_changes(a.channels, b.channels);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "channel policy changed: p:* (history_size 3) -> p:* (history_size 5)");
    EXPECT_EQ(lines[1], "channel policy added as channels[1]: new (history_ttl 2000 ms)");
    EXPECT_EQ(lines[2], "channel policy removed: gone (public)");
}

TEST(ChannelPolicies, TheDocsSectionNamesEveryOption) {
    const auto md = render_channels_markdown();
    for (const auto& o : channel_options()) {
        EXPECT_NE(md.find("| `" + std::string(o.key) + "` |"), std::string::npos) << o.key;
        EXPECT_NE(md.find(std::string(o.global.empty() ? o.default_value : o.global)), std::string::npos) << o.key;
    }
    EXPECT_NE(md.find("Range: 1 to 100000"), std::string::npos);
    EXPECT_NE(render_markdown().find(md), std::string::npos);
}

}  // namespace
}  // namespace herald::config
