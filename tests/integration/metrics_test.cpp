// GET /metrics as a Prometheus server reads it: every line parses as text exposition format
// 0.0.4, every sample belongs to a declared family, histograms are cumulative, and the figures
// move with real traffic (connections by transport, publishes, deliveries, latency, auth
// refusals, the busiest channels) with bounded label cardinality.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <cstring>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

struct sample {
    std::string name, labels;
    double value = 0;
};

struct exposition {
    std::map<std::string, std::string> types;  // family → counter/gauge/histogram
    std::vector<sample> samples;
    double get(const std::string& name, const std::string& labels = {}) const {
        for (const auto& s : samples)
            if (s.name == name && s.labels == labels) return s.value;
        ADD_FAILURE() << "no sample " << name << "{" << labels << "}";
        return -1;
    }
};

// Parses the text format strictly; a malformed line fails the test.
exposition parse_exposition(const std::string& text) {
    exposition e;
    const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
    const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    const std::regex line(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.eE+-]+|\+Inf|NaN))");
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        EXPECT_NE(end, std::string::npos) << "the last line must end with a newline";
        if (end == std::string::npos) end = text.size();
        const std::string l = text.substr(pos, end - pos);
        pos = end + 1;
        std::smatch m;
        if (std::regex_match(l, m, type)) {
            EXPECT_FALSE(e.types.count(m[1])) << "TYPE declared twice: " << l;
            e.types[m[1]] = m[2];
        } else if (std::regex_match(l, m, help)) {
        } else if (std::regex_match(l, m, line)) {
            e.samples.push_back({m[1], m[3], std::stod(m[4])});
        } else {
            ADD_FAILURE() << "not Prometheus text format: '" << l << "'";
        }
    }
    for (const auto& s : e.samples) {
        std::string family = s.name;
        for (const char* suffix : {"_bucket", "_sum", "_count"})
            if (!e.types.count(family) && family.size() > std::strlen(suffix) &&
                family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
                family = family.substr(0, family.size() - std::strlen(suffix));
        EXPECT_TRUE(e.types.count(family)) << "sample without a TYPE: " << s.name;
    }
    return e;
}

exposition scrape(test_server& srv) {
    auto r = srv.request("GET", "/metrics");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << r.content_type;
    return parse_exposition(r.body);
}

TEST(Metrics, ParseAsPrometheusTextAndFollowTraffic) {
    auto cfg = test_config();
    test_server srv(cfg);
    sse_client a(srv.public_port(), sse_target({"news", "prices"}));
    sse_client b(srv.public_port(), sse_target({"news"}));
    ws_client w(srv.public_port(), "/v1/ws?channel=news");
    ASSERT_TRUE(a.ok() && b.ok() && w.ok());
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 4; }));
    for (int i = 0; i < 3; ++i) srv.publish("news", i);
    ASSERT_TRUE(a.wait_events(3) && b.wait_events(3) && w.wait_events(3));
    auto e = scrape(srv);
    EXPECT_EQ(e.types["herald_publish_duration_seconds"], "histogram");
    EXPECT_EQ(e.get("herald_publishes_total"), 3);
    EXPECT_GE(e.get("herald_deliveries_total"), 9);
    EXPECT_GT(e.get("herald_bytes_out_total"), 0);
    EXPECT_EQ(e.get("herald_sse_streams_open"), 2);
    EXPECT_EQ(e.get("herald_ws_connections_open"), 1);
    EXPECT_EQ(e.get("herald_subscriptions"), 4);
    EXPECT_EQ(e.get("herald_publish_duration_seconds_count"), 3);
    // Buckets are cumulative and end at +Inf = count.
    double last = 0;
    for (const auto& s : e.samples)
        if (s.name == "herald_publish_duration_seconds_bucket") {
            EXPECT_GE(s.value, last) << s.labels;
            last = s.value;
        }
    EXPECT_EQ(last, 3);
    EXPECT_EQ(e.get("herald_auth_refusals_total", "reason=\"token_required\""), 0);
    EXPECT_EQ(e.get("herald_broker_up", "broker=\"memory\""), 1);
    EXPECT_EQ(e.get("herald_draining"), 0);
    EXPECT_EQ(e.get("herald_channel_subscribers", "channel=\"news\""), 3);
    EXPECT_EQ(e.get("herald_channel_subscribers", "channel=\"prices\""), 1);
}

TEST(Metrics, PerChannelFiguresOnlyForTheBusiestChannels) {
    auto cfg = test_config();
    cfg.metrics_top_channels = 3;
    test_server srv(cfg);
    std::vector<std::unique_ptr<sse_client>> subs;
    // Channel cN gets N subscribers: c5, c4 and c3 are the busiest three.
    for (int n = 1; n <= 5; ++n)
        for (int i = 0; i < n; ++i)
            subs.push_back(std::make_unique<sse_client>(srv.public_port(), sse_target({"c" + std::to_string(n)})));
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 15; }));
    auto e = scrape(srv);
    std::map<std::string, double> per_channel;
    for (const auto& s : e.samples)
        if (s.name == "herald_channel_subscribers") per_channel[s.labels] = s.value;
    EXPECT_EQ(per_channel, (std::map<std::string, double>{
                               {"channel=\"c3\"", 3}, {"channel=\"c4\"", 4}, {"channel=\"c5\"", 5}}));
}

}  // namespace
}  // namespace herald::test
