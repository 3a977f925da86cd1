// protocol/sse_encoder: line splitting (CR, LF, CRLF, mixed), event names, the JSON envelope,
// id/retry/comment lines and control events.
#include "lib/protocol/sse_encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

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

TEST(SseEncoder, AKeyedEventAlwaysComesInTheEnvelope) {
    auto ev = text_event("up");
    ev.key = "AAPL";
    EXPECT_EQ(sse_event_body(ev, false),
              "data: {\"channel\":\"news\",\"offset\":7,\"epoch\":\"e1\",\"key\":\"AAPL\",\"data\":\"up\","
              "\"published_at\":1700000000000}\n\n");
    EXPECT_EQ(sse_event_body(ev, false), sse_event_body(ev, true));
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

model::event json_event(std::string data, std::string name = "") {
    auto ev = text_event(std::move(data), std::move(name));
    ev.kind = model::data_kind::json;
    return ev;
}

TEST(SseEncoder, SplitsOnLoneLf) { EXPECT_EQ(sse_event_body(text_event("a\nb"), false), "data: a\ndata: b\n\n"); }

TEST(SseEncoder, SplitsOnLoneCr) { EXPECT_EQ(sse_event_body(text_event("a\rb"), false), "data: a\ndata: b\n\n"); }

TEST(SseEncoder, TreatsCrlfAsOneLineBreak) {
    EXPECT_EQ(sse_event_body(text_event("a\r\nb"), false), "data: a\ndata: b\n\n");
}

TEST(SseEncoder, TreatsLfCrAsTwoLineBreaks) {
    EXPECT_EQ(sse_event_body(text_event("a\n\rb"), false), "data: a\ndata: \ndata: b\n\n");
}

TEST(SseEncoder, SplitsMixedAndRepeatedLineBreaks) {
    EXPECT_EQ(sse_event_body(text_event("\r\n\n\rx\r\r\ny"), false),
              "data: \ndata: \ndata: \ndata: x\ndata: \ndata: y\n\n");
}

TEST(SseEncoder, KeepsTrailingCrAsEmptyDataLine) {
    EXPECT_EQ(sse_event_body(text_event("a\r"), false), "data: a\ndata: \n\n");
    EXPECT_EQ(sse_event_body(text_event("a\r\n"), false), "data: a\ndata: \n\n");
}

TEST(SseEncoder, EncodesOnlyLineBreakAsTwoEmptyDataLines) {
    EXPECT_EQ(sse_event_body(text_event("\n"), false), "data: \ndata: \n\n");
}

TEST(SseEncoder, KeepsLeadingSpacesAndColons) {
    // The parser strips exactly one space after "data:", so "data:  x" round-trips to " x".
    EXPECT_EQ(sse_event_body(text_event(" x: y"), false), "data:  x: y\n\n");
}

TEST(SseEncoder, Encodes64KiBMultilinePayload) {
    std::string line(1023, 'y');
    std::string big;
    for (int i = 0; i < 64; ++i) big.append(line).push_back('\n');
    big.pop_back();
    auto out = sse_event_body(text_event(big), false);
    // 64 lines of "data: " + 1023 bytes + "\n", then the blank line.
    EXPECT_EQ(out.size(), 64u * (6 + 1023 + 1) + 1);
    EXPECT_EQ(out.substr(out.size() - 2), "\n\n");
}

TEST(SseEncoder, WritesJsonDataVerbatimWithoutEnvelope) {
    EXPECT_EQ(sse_event_body(json_event(R"({"n":1,"s":"a b"})"), false), "data: {\"n\":1,\"s\":\"a b\"}\n\n");
}

TEST(SseEncoder, EnvelopeEmbedsJsonDataAsJson) {
    auto out = sse_event_body(json_event(R"({"n":1})"), true);
    EXPECT_EQ(out,
              "data: {\"channel\":\"news\",\"offset\":7,\"epoch\":\"e1\",\"data\":{\"n\":1},"
              "\"published_at\":1700000000000}\n\n");
}

TEST(SseEncoder, EnvelopeCarriesEventNameInBothPlaces) {
    auto out = sse_event_body(json_event("[1,2]", "price"), true);
    ASSERT_EQ(out.rfind("event: price\ndata: ", 0), 0u) << out;
    auto j = nlohmann::json::parse(out.substr(19, out.size() - 19 - 2));
    EXPECT_EQ(j["channel"], "news");
    EXPECT_EQ(j["offset"], 7);
    EXPECT_EQ(j["epoch"], "e1");
    EXPECT_EQ(j["event"], "price");
    EXPECT_EQ(j["data"], nlohmann::json::parse("[1,2]"));
    EXPECT_EQ(j["published_at"], 1700000000000);
}

TEST(SseEncoder, EnvelopeEscapesLineBreaksSoItStaysOneDataLine) {
    auto out = sse_event_body(text_event("a\nb\r\nc"), true);
    EXPECT_EQ(out.find('\r'), std::string::npos);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);  // the data line and the blank line
    auto j = nlohmann::json::parse(out.substr(6, out.size() - 6 - 2));
    EXPECT_EQ(j["data"], "a\nb\r\nc");
}

TEST(SseEncoder, ReplacesLineBreaksInEventName) {
    EXPECT_EQ(sse_event_body(text_event("x", "a\nb\rc"), false), "event: a b c\ndata: x\n\n");
}

TEST(SseEncoder, WritesIdLine) { EXPECT_EQ(sse_id_line("0a1b00000000.3"), "id: 0a1b00000000.3\n"); }

TEST(SseEncoder, WritesRetryAsItsOwnBlock) {
    EXPECT_EQ(sse_retry(2000), "retry: 2000\n\n");
    EXPECT_EQ(sse_retry(0), "retry: 0\n\n");
}

TEST(SseEncoder, WritesCommentWithAndWithoutText) {
    EXPECT_EQ(sse_comment("keepalive"), ": keepalive\n\n");
    EXPECT_EQ(sse_comment(""), ":\n\n");
}

TEST(SseEncoder, ControlEventSplitsMultilineJson) {
    EXPECT_EQ(sse_control_event("herald.disconnect", "{\n\"code\":4001\n}"),
              "event: herald.disconnect\ndata: {\ndata: \"code\":4001\ndata: }\n\n");
}

TEST(SseEncoder, AppendDataLinesAppendsToExistingText) {
    std::string out = "id: 1\n";
    append_data_lines(out, "a\nb");
    EXPECT_EQ(out, "id: 1\ndata: a\ndata: b\n");
}

}  // namespace
}  // namespace herald::protocol
