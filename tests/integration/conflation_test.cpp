// Conflation over real sockets: `herald serve` with a config file whose keyed channels ticker:*
// conflate with a 200 ms window (plain:* keyed, not conflated). 200 updates of 3 keys published
// as fast as one keep-alive connection allows reach an SSE and a WebSocket subscriber as far fewer
// events, offsets strictly increasing, the last of each key its final value, and every event
// either delivered or counted in herald_conflated_events_total; the unconflated channel gets
// every event. Then an SSE reconnect with Last-Event-ID catches up with the final value of each
// key and nothing stale, and goes live. No timing assertions beyond generous waits.
// Test thread only; the server is a child process.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_support.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/temp_file.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

const std::vector<std::string> keys = {"AAPL", "MSFT", "GOOG"};

// A value from the /metrics text of the server on `port`, or nullopt.
std::optional<double> metric_of(unsigned short port, const std::string& name) {
    auto r = raw_request(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    if (!r || r->status != 200) return std::nullopt;
    std::istringstream lines(r->body);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    return std::nullopt;
}

// Publishes over one keep-alive connection, each request answered before the next is sent.
class publisher {
public:
    explicit publisher(unsigned short port) : conn_(port) {}
    json publish(const std::string& channel, const std::string& key, const json& data) {
        const auto body = json{{"channel", channel}, {"key", key}, {"data", data}}.dump();
        EXPECT_TRUE(conn_.send("POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
        auto r = read_response(conn_);
        EXPECT_TRUE(r && r->status == 200) << (r ? r->body : std::string("no reply"));
        return r ? parse_json(r->body) : json();
    }

private:
    raw_connection conn_;
};

// One received event of a keyed channel: from an SSE envelope or a WebSocket event message.
struct received {
    std::uint64_t offset = 0;
    std::string key;
    json data;
};

std::vector<received> from_sse(const sse_client& s) {
    std::vector<received> out;
    for (const auto& m : s.events()) {
        if (m.event.rfind("herald.", 0) == 0) continue;
        auto j = json::parse(m.data, nullptr, false);
        if (!j.is_object()) continue;
        out.push_back({j.value("offset", std::uint64_t(0)), j.value("key", ""), j.value("data", json())});
    }
    return out;
}

std::vector<received> from_ws(const ws_client& c, const std::string& channel) {
    std::vector<received> out;
    for (const auto& j : c.events(channel))
        out.push_back({j.value("offset", std::uint64_t(0)), j.value("key", ""), j.value("data", json())});
    return out;
}

// The last data received for each key.
std::map<std::string, json> last_by_key(const std::vector<received>& evs) {
    std::map<std::string, json> out;
    for (const auto& e : evs) out[e.key] = e.data;
    return out;
}

// Reads `s` until cond() holds (checked between reads); false once the timeout passes.
template <class Cond>
bool read_until(sse_client& s, Cond cond, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline || s.closed()) return false;
        s.wait_events(s.events().size() + 1, 50ms);
    }
    return true;
}

bool strictly_increasing(const std::vector<received>& evs) {
    for (std::size_t i = 1; i < evs.size(); ++i)
        if (evs[i].offset <= evs[i - 1].offset) return false;
    return true;
}

std::string listing(const std::vector<received>& evs) {
    std::string out;
    for (const auto& e : evs) out += std::to_string(e.offset) + ":" + e.key + "=" + e.data.dump() + " ";
    return out;
}

TEST(ConflationServe, AHotTickerReachesSseAndWebSocketSubscribersConflatedAndResumesWithNothingStale) {
    temp_file cfg(R"({"public":"127.0.0.1:0","internal":"127.0.0.1:0",
                      "channels":[{"pattern":"ticker:*","keyed":true,"conflate":"200ms"},
                                  {"pattern":"plain:*","keyed":true}]})");
    process p({"serve", "--config", cfg.path()});
    ASSERT_TRUE(p.wait_err("subscribe: curl")) << p.err();
    const auto internal = internal_port_from_log(p.err());
    const auto pub_port = public_port_from_log(p.err());
    ASSERT_NE(internal, 0) << p.err();
    ASSERT_NE(pub_port, 0) << p.err();

    sse_client sse(pub_port, sse_target({"ticker:a"}));
    ASSERT_TRUE(sse.ok()) << sse.error_body();
    ws_client ws(pub_port, ws_target({"ticker:a"}));
    ASSERT_TRUE(ws.ok()) << ws.error();
    sse_client plain(pub_port, sse_target({"plain:a"}));
    ASSERT_TRUE(plain.ok()) << plain.error_body();

    // A first event each, so every subscriber is live (past its snapshot) before the burst.
    publisher pub(internal);
    pub.publish("ticker:a", keys[0], json{{"v", -1}});
    pub.publish("plain:a", keys[0], json{{"v", -1}});
    ASSERT_TRUE(read_until(sse, [&] { return from_sse(sse).size() == 1; })) << sse.body();
    ASSERT_TRUE(eventually([&] { return from_ws(ws, "ticker:a").size() == 1; }, 10s)) << json(ws.messages()).dump();
    ASSERT_TRUE(read_until(plain, [&] { return from_sse(plain).size() == 1; })) << plain.body();
    std::string cursor;  // the position just after the first event
    for (const auto& m : sse.events())
        if (m.event.rfind("herald.", 0) != 0) cursor = m.id;
    ASSERT_FALSE(cursor.empty());

    constexpr int updates = 200;
    std::map<std::string, json> final_value;
    for (int i = 0; i < updates; ++i) {
        const auto& key = keys[static_cast<std::size_t>(i) % keys.size()];
        pub.publish("ticker:a", key, json{{"v", i}});
        pub.publish("plain:a", key, json{{"v", i}});
        final_value[key] = json{{"v", i}};
    }

    ASSERT_TRUE(read_until(sse, [&] { return last_by_key(from_sse(sse)) == final_value; })) << listing(from_sse(sse));
    ASSERT_TRUE(eventually([&] { return last_by_key(from_ws(ws, "ticker:a")) == final_value; }, 10s))
        << listing(from_ws(ws, "ticker:a"));
    // The unconflated channel gets every event.
    ASSERT_TRUE(read_until(plain, [&] { return from_sse(plain).size() == updates + 1; })) << from_sse(plain).size();

    const auto conflated = metric_of(internal, "herald_conflated_events_total");
    ASSERT_TRUE(conflated.has_value());
    for (const auto& [name, evs] : {std::pair{"SSE", from_sse(sse)}, std::pair{"WebSocket", from_ws(ws, "ticker:a")}}) {
        SCOPED_TRACE(name);
        EXPECT_LT(evs.size(), 100u) << listing(evs);  // far fewer than the 201 published
        EXPECT_TRUE(strictly_increasing(evs)) << listing(evs);
        // Every published event was either delivered once or replaced within a window.
        EXPECT_EQ(static_cast<double>(evs.size()) + *conflated, updates + 1.0) << listing(evs);
        for (const auto& e : evs) {
            if (e.data["v"] == -1) continue;
            const auto i = e.data["v"].get<int>();
            EXPECT_EQ(e.key, keys[static_cast<std::size_t>(i) % keys.size()]) << listing(evs);
        }
    }
    EXPECT_GT(*conflated, 0.0);
    EXPECT_TRUE(strictly_increasing(from_sse(plain)));

    // Back from the cursor of the first event: the latest event of each key since, nothing stale,
    // then live.
    sse.close();
    sse_client again(pub_port, sse_target({"ticker:a"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(again.ok()) << again.error_body();
    ASSERT_TRUE(read_until(again, [&] { return last_by_key(from_sse(again)) == final_value; }))
        << listing(from_sse(again));
    pub.publish("ticker:a", keys[1], json{{"v", 1000}});
    ASSERT_TRUE(read_until(again, [&] { return !from_sse(again).empty() && from_sse(again).back().data == json{{"v", 1000}}; }))
        << listing(from_sse(again));
    const auto caught_up = from_sse(again);
    ASSERT_EQ(caught_up.size(), keys.size() + 1) << listing(caught_up);
    EXPECT_TRUE(strictly_increasing(caught_up)) << listing(caught_up);
    for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(caught_up[i].data, final_value[caught_up[i].key]);
    for (const auto& m : again.events()) EXPECT_NE(m.event, "herald.reset") << again.body();

    p.kill(SIGTERM);
    EXPECT_EQ(p.wait(30s).exit_code, 0) << p.err();
}

}  // namespace
}  // namespace herald::test
