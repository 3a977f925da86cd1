// channels/encoded_event: each encoding is built once (the same bytes object on every call and from
// every thread), matches the protocol encoders, sse_single carries the one-channel cursor id line,
// and ws() is one complete WebSocket text frame.
#include "lib/channels/encoded_event.hpp"

#include <gtest/gtest.h>

#include <array>
#include <latch>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/protocol/cursor.hpp"
#include "lib/protocol/sse_encoder.hpp"
#include "lib/protocol/sse_parser.hpp"
#include "lib/protocol/ws_codec.hpp"
#include "lib/protocol/ws_frame.hpp"

namespace herald::channels {
namespace {

model::event_ptr make_event(std::string data = R"({"n":1})", std::string name = "tick",
                            model::data_kind kind = model::data_kind::json) {
    auto ev = std::make_shared<model::event>();
    ev->channel = "news";
    ev->offset = 7;
    ev->epoch = "e1";
    ev->name = std::move(name);
    ev->data = std::move(data);
    ev->kind = kind;
    ev->published_at = 1700000000000;
    return ev;
}

TEST(EncodedEvent, KeepsTheEventPointer) {
    auto ev = make_event();
    encoded_event enc(ev);
    EXPECT_EQ(enc.ptr().get(), ev.get());
    EXPECT_EQ(&enc.event(), ev.get());
}

TEST(EncodedEvent, ReturnsTheSameFrameOnRepeatedCalls) {
    encoded_event enc(make_event());
    const auto* body = enc.sse_body(false).get();
    const auto* body_env = enc.sse_body(true).get();
    const auto* single = enc.sse_single(false).get();
    const auto* single_env = enc.sse_single(true).get();
    const auto* ws = enc.ws().get();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(enc.sse_body(false).get(), body);
        EXPECT_EQ(enc.sse_body(true).get(), body_env);
        EXPECT_EQ(enc.sse_single(false).get(), single);
        EXPECT_EQ(enc.sse_single(true).get(), single_env);
        EXPECT_EQ(enc.ws().get(), ws);
    }
    // Five different encodings, five different objects.
    EXPECT_NE(body, body_env);
    EXPECT_NE(single, single_env);
    EXPECT_NE(body, single);
    EXPECT_NE(body, ws);
}

TEST(EncodedEvent, SseBodyMatchesTheEncoder) {
    auto ev = make_event("a\nb", "tick", model::data_kind::text);
    encoded_event enc(ev);
    ASSERT_TRUE(enc.sse_body(false));
    EXPECT_EQ(*enc.sse_body(false), protocol::sse_event_body(*ev, false));
    EXPECT_EQ(*enc.sse_body(true), protocol::sse_event_body(*ev, true));
    EXPECT_EQ(*enc.sse_body(false), "event: tick\ndata: a\ndata: b\n\n");
}

TEST(EncodedEvent, SseSingleStartsWithTheCursorIdLine) {
    auto ev = make_event();
    encoded_event enc(ev);
    const std::string cursor = protocol::single_channel_cursor_prefix("news", "e1") + "7";
    EXPECT_EQ(*enc.sse_single(false), "id: " + cursor + "\n" + *enc.sse_body(false));
    EXPECT_EQ(*enc.sse_single(true), "id: " + cursor + "\n" + *enc.sse_body(true));
    auto parsed = protocol::parse_cursor(cursor);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->names_fp, protocol::names_fingerprint({"news"}));
    EXPECT_EQ(parsed->epochs_fp, protocol::epochs_fingerprint({"e1"}));
    EXPECT_EQ(parsed->offsets, std::vector<std::uint64_t>{7});
}

TEST(EncodedEvent, SseSingleParsesBackAsOneEvent) {
    encoded_event enc(make_event());
    protocol::sse_parser p;
    auto out = p.feed(*enc.sse_single(false));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, protocol::single_channel_cursor_prefix("news", "e1") + "7");
    EXPECT_EQ(out[0].event, "tick");
    EXPECT_EQ(out[0].data, R"({"n":1})");
}

TEST(EncodedEvent, WsIsOneValidTextFrame) {
    auto ev = make_event();
    encoded_event enc(ev);
    const std::string& f = *enc.ws();
    const std::string json = protocol::ws_event_json(*ev);
    ASSERT_LT(json.size(), 126u);
    ASSERT_EQ(f.size(), 2 + json.size());
    EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x81u);  // FIN + text
    EXPECT_EQ(std::size_t{static_cast<unsigned char>(f[1])}, json.size());  // unmasked, 7-bit length
    EXPECT_EQ(f.substr(2), json);
    EXPECT_TRUE(protocol::valid_utf8(f.substr(2)));
    auto j = nlohmann::json::parse(f.substr(2));
    EXPECT_EQ(j["op"], "event");
    EXPECT_EQ(j["channel"], "news");
    EXPECT_EQ(j["offset"], 7);
    EXPECT_EQ(j["data"]["n"], 1);
}

TEST(EncodedEvent, WsUsesTheExtendedLengthForLargeEvents) {
    auto ev = make_event("\"" + std::string(1000, 'x') + "\"");
    encoded_event enc(ev);
    const std::string& f = *enc.ws();
    EXPECT_EQ(f, protocol::ws_frame(protocol::ws_opcode::text, protocol::ws_event_json(*ev)));
    EXPECT_EQ(static_cast<unsigned char>(f[1]), 126u);
}

TEST(EncodedEvent, BuildsEachEncodingOnceAcrossThreads) {
    constexpr int threads = 8;
    for (int round = 0; round < 50; ++round) {
        encoded_event enc(make_event());
        std::latch start(threads);
        std::array<std::array<const std::string*, 5>, threads> seen{};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                start.arrive_and_wait();
                // Vary the order so threads race on different encodings first.
                if (t % 2) {
                    seen[t][4] = enc.ws().get();
                    seen[t][2] = enc.sse_single(false).get();
                    seen[t][0] = enc.sse_body(false).get();
                } else {
                    seen[t][0] = enc.sse_body(false).get();
                    seen[t][2] = enc.sse_single(false).get();
                    seen[t][4] = enc.ws().get();
                }
                seen[t][1] = enc.sse_body(true).get();
                seen[t][3] = enc.sse_single(true).get();
            });
        }
        for (auto& th : pool) th.join();
        for (int t = 0; t < threads; ++t)
            for (int k = 0; k < 5; ++k) {
                ASSERT_NE(seen[t][k], nullptr);
                EXPECT_EQ(seen[t][k], seen[0][k]) << "round " << round << " thread " << t << " encoding " << k;
            }
        EXPECT_EQ(*seen[0][0], *enc.sse_body(false));
    }
}

}  // namespace
}  // namespace herald::channels
