// SSE encoder: line splitting, event names, envelope, control events.
#include "lib/protocol/sse_encoder.hpp"

#include <gtest/gtest.h>

namespace herald::protocol {
namespace {

model::event text_event(std::string data, std::string name = "") {
    model::event ev;
    ev.channel = "news";
    ev.offset = 7;
    ev.epoch = "e1";
    ev.name = std::move(name);
    ev.data = std::move(data);
    ev.kind = model::data_kind::text;
    ev.published_at = 1700000000000;
    return ev;
}

TEST(SseEncoder, WritesOneDataLine) { EXPECT_EQ(sse_event_body(text_event("hello"), false), "data: hello\n\n"); }

TEST(SseEncoder, WritesEventNameWhenGiven) {
    EXPECT_EQ(sse_event_body(text_event("1", "price"), false), "event: price\ndata: 1\n\n");
}

TEST(SseEncoder, SplitsMultilineDataIntoDataLines) {
    EXPECT_EQ(sse_event_body(text_event("a\nb\r\nc\rd"), false), "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseEncoder, KeepsTrailingLineBreakAsEmptyDataLine) {
    EXPECT_EQ(sse_event_body(text_event("a\n"), false), "data: a\ndata: \n\n");
}

TEST(SseEncoder, EncodesEmptyDataAsOneEmptyLine) { EXPECT_EQ(sse_event_body(text_event(""), false), "data: \n\n"); }

TEST(SseEncoder, KeepsUnicodeBytes) {
    EXPECT_EQ(sse_event_body(text_event("héllo ✓ 🚀"), false), "data: héllo ✓ 🚀\n\n");
}

TEST(SseEncoder, Encodes64KiBPayloadOnOneLine) {
    std::string big(64 * 1024, 'x');
    auto out = sse_event_body(text_event(big), false);
    EXPECT_EQ(out.size(), big.size() + 8);
    EXPECT_EQ(out.substr(0, 6), "data: ");
}

TEST(SseEncoder, EnvelopeWrapsTextAsJsonString) {
    auto out = sse_event_body(text_event("a\"b"), true);
    EXPECT_EQ(out,
              "data: {\"channel\":\"news\",\"offset\":7,\"epoch\":\"e1\",\"data\":\"a\\\"b\","
              "\"published_at\":1700000000000}\n\n");
}

TEST(SseEncoder, ControlEventCarriesName) {
    EXPECT_EQ(sse_control_event("herald.reset", "{}"), "event: herald.reset\ndata: {}\n\n");
}

}  // namespace
}  // namespace herald::protocol
