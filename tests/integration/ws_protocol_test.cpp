// WebSocket over real sockets, the protocol's edges: ping command and ping/pong frames, server
// pings and the idle close (4003), bad commands answered without closing, violations closed with
// their RFC 6455 code (1002, 1003, 1007, 1009), early and fragmented frames, the channel limit,
// the slow-consumer close (4001) and the close on server stop (1012).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/raw_ws_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

// Reads up to the server's close frame and checks its code; returns the frame.
std::optional<server_frame> expect_close(raw_ws_client& c, std::uint16_t code) {
    auto f = c.wait_close();
    EXPECT_TRUE(f) << "no close frame; " << c.frames().size() << " frame(s) before";
    if (!f) return f;
    EXPECT_EQ(f->close_code(), code) << f->close_reason();
    EXPECT_FALSE(f->masked);
    EXPECT_TRUE(c.wait_eof()) << "the server kept the connection after its close frame";
    return f;
}

TEST(WebSocket, PingCommandGetsPongWithTheSameId) {
    test_server srv;
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json({{"op", "ping"}, {"id", 7}});
    c.send_json({{"op", "ping"}, {"id", "seven"}});
    c.send_json({{"op", "ping"}});
    ASSERT_TRUE(c.wait_messages(3));
    auto m = c.messages();
    EXPECT_EQ(m[0], json({{"op", "pong"}, {"id", 7}}));
    EXPECT_EQ(m[1], json({{"op", "pong"}, {"id", "seven"}}));
    EXPECT_EQ(m[2], json({{"op", "pong"}}));
}

TEST(WebSocket, ClientPingFrameGetsPongFrameWithItsPayload) {
    test_server srv;
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.ping("are-you-there");
    ASSERT_TRUE(c.wait_pongs(1));
    EXPECT_EQ(c.pongs_received().at(0), "are-you-there");
    EXPECT_FALSE(c.closed());
}

TEST(WebSocket, ServerPingsEveryIntervalAndAnAnsweringClientStaysOpen) {
    auto cfg = test_config();
    cfg.ws.ping_interval_ms = 200;
    test_server srv(cfg);
    ws_client c(srv.public_port(), ws_target({"quiet"}));
    ASSERT_TRUE(c.ok()) << c.error();
    // Beast answers each ping with a pong, which counts as hearing from the client.
    EXPECT_TRUE(eventually([&] { return c.pings_received() >= 4 || c.closed(); }, 10s));
    EXPECT_GE(c.pings_received(), 4u);
    EXPECT_FALSE(c.closed()) << "closed with " << c.close_code().value_or(0) << " " << c.close_reason();
    srv.publish("quiet", "still here");
    EXPECT_TRUE(c.wait_events(1));
}

TEST(WebSocket, SilentClientIsClosedWith4003AfterTwoPingIntervals) {
    auto cfg = test_config();
    cfg.ws.ping_interval_ms = 200;
    test_server srv(cfg);
    raw_ws_client c(srv.public_port());  // never answers the pings
    ASSERT_TRUE(c.ok());
    auto f = expect_close(c, 4003);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->close_reason().empty());
    std::size_t pings = 0;
    for (const auto& fr : c.frames()) pings += fr.opcode == ws_op::ping;
    EXPECT_GE(pings, 1u);
}

TEST(WebSocket, UnknownOpAndBadJsonAreErrorsAndTheConnectionStaysOpen) {
    test_server srv;
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json({{"op", "dance"}, {"id", 1}});
    auto e1 = c.wait_op("error", 1);
    ASSERT_TRUE(e1) << json(c.messages()).dump();
    EXPECT_EQ((*e1)["code"], "unknown_op");
    EXPECT_NE(str_member(*e1, "message").find("dance"), std::string::npos) << *e1;
    c.send_text("{not json");
    auto e2 = c.wait_for([](const json& m) { return is_op(m, "error") && m["code"] == "invalid_json"; });
    ASSERT_TRUE(e2) << json(c.messages()).dump();
    EXPECT_FALSE(e2->contains("id"));
    c.send_json({{"op", "subscribe"}, {"channel", "bad name"}, {"id", 2}});
    auto e3 = c.wait_op("error", 2);
    ASSERT_TRUE(e3);
    EXPECT_EQ((*e3)["code"], "invalid_channel");
    c.send_json({{"op", "subscribe"}, {"channel", "ok"}, {"since", "yesterday"}, {"id", 3}});
    auto e4 = c.wait_op("error", 3);
    ASSERT_TRUE(e4);
    EXPECT_EQ((*e4)["code"], "invalid_since");
    c.send_json({{"op", "ping"}, {"id", 4}});
    EXPECT_TRUE(c.wait_op("pong", 4));
    EXPECT_FALSE(c.closed());
}

TEST(WebSocket, BinaryFrameIsClosedWith1003) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::binary, std::string("\x01\x02\x03", 3));
    expect_close(c, 1003);
}

TEST(WebSocket, MessageOverMaxMessageBytesIsClosedWith1009) {
    auto cfg = test_config();
    cfg.ws.max_message_bytes = 1024;
    test_server srv(cfg);
    raw_ws_client fits(srv.public_port());
    ASSERT_TRUE(fits.ok());
    std::string ping = R"({"op":"ping","id":1,"pad":")";
    ping += std::string(1024 - ping.size() - 2, 'p') + "\"}";
    ASSERT_EQ(ping.size(), 1024u);
    fits.send_text(ping);
    auto pong = fits.next_text();
    ASSERT_TRUE(pong);
    EXPECT_EQ(parse_json(*pong), json({{"op", "pong"}, {"id", 1}}));

    raw_ws_client over(srv.public_port());
    ASSERT_TRUE(over.ok());
    over.send_text(ping + " ");
    expect_close(over, 1009);

    // Far over, sent whole: the server stops at the header; its close frame still arrives.
    raw_ws_client flood(srv.public_port());
    ASSERT_TRUE(flood.ok());
    flood.send_text(std::string(512 * 1024, 'f'));
    expect_close(flood, 1009);
}

TEST(WebSocket, FragmentsOverMaxMessageBytesTogetherAreClosedWith1009) {
    auto cfg = test_config();
    cfg.ws.max_message_bytes = 1024;
    test_server srv(cfg);
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::text, std::string(600, ' '), true, false);
    c.send_frame(ws_op::continuation, std::string(600, ' '), true, true);
    expect_close(c, 1009);
}

TEST(WebSocket, DeclaredLengthOverTheLimitIsClosedWith1009BeforeThePayload) {
    auto cfg = test_config();
    cfg.ws.max_message_bytes = 1024;
    test_server srv(cfg);
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send(client_frame(ws_op::text, "", true, true, std::uint64_t{1} << 40));  // header only
    expect_close(c, 1009);
}

TEST(WebSocket, ContinuationDeclaringAWrappingLengthIsClosedWith1002) {
    // 2^64 - 5 bytes added to the 10 bytes of the fragment before it would wrap around to 5; a
    // length with its most significant bit set is a protocol error in itself (RFC 6455 §5.2).
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::text, R"({"op":"pin)", true, false);
    c.send(client_frame(ws_op::continuation, R"(g"})", true, true, ~std::uint64_t{0} - 4));
    expect_close(c, 1002);
    for (const auto& f : c.frames()) EXPECT_NE(f.opcode, ws_op::text) << "answered: " << f.payload;
}

TEST(WebSocket, LengthWithTheTopBitSetIsClosedWith1002EvenUnderALargeLimit) {
    auto cfg = test_config();
    cfg.ws.max_message_bytes = 16 << 20;
    test_server srv(cfg);
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send(client_frame(ws_op::text, "", true, true, std::uint64_t{1} << 63));  // header only
    auto f = expect_close(c, 1002);
    ASSERT_TRUE(f);
    EXPECT_NE(f->close_reason().find("most significant bit"), std::string::npos) << f->close_reason();
}

TEST(WebSocket, AFrameSentByteByByteIsParsedInLinearTime) {
    // Before: every read re-copied the partial frame, so 256 KiB sent a byte at a time cost
    // ~32 GB of copying on the shard thread (minutes); now each byte is appended once.
    auto cfg = test_config();
    cfg.ws.max_message_bytes = 1 << 20;
    test_server srv(cfg);
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    std::string text = R"({"op":"ping","id":")" + std::string(256 << 10, 'p') + R"("})";
    const auto frame = client_frame(ws_op::text, text);
    int one = 1;
    ::setsockopt(c.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (std::size_t i = 0; i < frame.size(); ++i) ASSERT_TRUE(c.send(std::string_view(frame).substr(i, 1)));
    auto reply = c.next_text(60s);
    ASSERT_TRUE(reply) << "no pong";
    EXPECT_NE(reply->find("\"op\":\"pong\""), std::string::npos);
}

TEST(WebSocket, UnmaskedClientFrameIsClosedWith1002) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::text, R"({"op":"ping","id":1})", false);
    expect_close(c, 1002);
    for (const auto& f : c.frames()) EXPECT_NE(f.opcode, ws_op::text) << "answered an unmasked command";
}

TEST(WebSocket, InvalidUtf8TextIsClosedWith1007) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_text("{\"op\":\"ping\",\"id\":\"\xc3\x28\"}");
    expect_close(c, 1007);
}

TEST(WebSocket, UnknownOpcodeIsClosedWith1002) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(0x3, "x");
    expect_close(c, 1002);
}

TEST(WebSocket, ClientCloseCodeIsEchoed) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::close, std::string("\x0b\xb8", 2) + "bye");  // 3000
    expect_close(c, 3000);
}

TEST(WebSocket, ClientCloseWithAnInvalidCodeIsClosedWith1002) {
    test_server srv;
    for (std::uint16_t code : {0, 999, 1005, 1006, 1016, 2999, 5000}) {
        raw_ws_client c(srv.public_port());
        ASSERT_TRUE(c.ok());
        c.send_frame(ws_op::close, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)});
        SCOPED_TRACE(code);
        expect_close(c, 1002);
    }
}

TEST(WebSocket, ClientCloseWithAnInvalidUtf8ReasonIsClosedWith1007) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::close, std::string("\x03\xe8\xc3\x28", 4));  // 1000, then a broken sequence
    expect_close(c, 1007);
}

TEST(WebSocket, FramesSentWithTheUpgradeRequestAreRead) {
    test_server srv;
    raw_ws_client c(srv.public_port(), ws_target({"early"}),
                    client_frame(ws_op::text, R"({"op":"ping","id":"early"})"));
    ASSERT_TRUE(c.ok()) << c.response().status;
    std::optional<std::string> pong;
    while (auto text = c.next_text()) {
        if (parse_json(*text).value("op", "") == "pong") {
            pong = text;
            break;
        }
    }
    ASSERT_TRUE(pong);
    EXPECT_EQ(parse_json(*pong), json({{"op", "pong"}, {"id", "early"}}));
}

TEST(WebSocket, FragmentedCommandWithAPingInsideIsReassembled) {
    test_server srv;
    raw_ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok());
    c.send_frame(ws_op::text, R"({"op":"pi)", true, false);
    c.send_frame(ws_op::ping, "mid");
    c.send_frame(ws_op::continuation, R"(ng","id":5})", true, true);
    auto pong_frame = c.next_frame();
    ASSERT_TRUE(pong_frame);
    EXPECT_EQ(pong_frame->opcode, ws_op::pong);
    EXPECT_EQ(pong_frame->payload, "mid");
    auto text = c.next_text();
    ASSERT_TRUE(text);
    EXPECT_EQ(parse_json(*text), json({{"op", "pong"}, {"id", 5}}));
}

TEST(WebSocket, TooManyChannelsIsRefusedInTheQueryAndAnErrorReplyByCommand) {
    auto cfg = test_config();
    cfg.limits.max_channels_per_connection = 2;
    test_server srv(cfg);
    ws_client query(srv.public_port(), ws_target({"a", "b", "c"}));
    EXPECT_FALSE(query.ok());
    EXPECT_EQ(query.status(), 400u);

    ws_client c(srv.public_port(), ws_target({"a"}));
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json({{"op", "subscribe"}, {"channel", "b"}, {"id", 1}});
    ASSERT_TRUE(c.wait_op("subscribed", 1));
    c.send_json({{"op", "subscribe"}, {"channel", "c"}, {"id", 2}});
    auto err = c.wait_op("error", 2);
    ASSERT_TRUE(err) << json(c.messages()).dump();
    EXPECT_EQ((*err)["code"], "too_many_channels");
    // The connection and its two subscriptions go on.
    srv.publish("c", "not for us");
    srv.publish("b", "b1");
    ASSERT_TRUE(c.wait_events(1));
    EXPECT_EQ(c.events().size(), 1u);
    EXPECT_EQ(c.events()[0]["data"], "b1");
    EXPECT_FALSE(c.closed());
}

TEST(WebSocket, SlowConsumerIsClosedWith4001WhileOthersGetEverything) {
    auto cfg = test_config();
    cfg.limits.outbox_bytes = 512 * 1024;
    test_server srv(cfg);
    ws_client good(srv.public_port(), ws_target({"big"}));
    ASSERT_TRUE(good.wait_op("subscribed")) << good.error();
    raw_ws_client slow(srv.public_port(), ws_target({"big"}), {}, 4096);  // never reads from here on
    ASSERT_TRUE(slow.ok());
    ASSERT_TRUE(eventually([&] { return srv.metric("herald_subscriptions") == 2.0; }));

    const std::string blob(16 * 1024, 'x');
    int published = 0;
    while (published < 4000 && srv.metric("herald_slow_consumer_disconnects_total").value_or(0) < 1)
        for (int i = 0; i < 10; ++i, ++published) srv.publish("big", blob + std::to_string(published + 1));
    ASSERT_GE(srv.metric("herald_slow_consumer_disconnects_total").value_or(0), 1.0) << published << " events";

    // The slow reader gets what was already on its way, then the close frame, then EOF.
    ASSERT_TRUE(slow.wait_eof(10s));
    std::optional<server_frame> close;
    while (auto f = slow.next_frame(0ms)) close = f;
    ASSERT_TRUE(close);
    EXPECT_EQ(close->opcode, ws_op::close);
    EXPECT_EQ(close->close_code(), 4001);

    ASSERT_TRUE(good.wait_events(static_cast<std::size_t>(published), {}, 20s)) << good.events().size();
    auto ev = good.events();
    ASSERT_EQ(ev.size(), static_cast<std::size_t>(published));
    for (std::size_t i = 0; i < ev.size(); ++i) {
        ASSERT_EQ(ev[i]["offset"], i + 1);
        ASSERT_EQ(ev[i]["data"], blob + std::to_string(i + 1));
    }
    EXPECT_FALSE(good.closed());
}

TEST(WebSocket, ServerStopClosesWith1012) {
    test_server srv;
    ws_client c(srv.public_port(), ws_target({"s"}));
    ASSERT_TRUE(c.wait_op("subscribed")) << c.error();
    raw_ws_client raw(srv.public_port());
    ASSERT_TRUE(raw.ok());
    srv.stop();
    ASSERT_TRUE(c.wait_closed());
    EXPECT_EQ(c.close_code(), 1012);
    EXPECT_FALSE(c.close_reason().empty());
    expect_close(raw, 1012);
}

}  // namespace
}  // namespace herald::test
