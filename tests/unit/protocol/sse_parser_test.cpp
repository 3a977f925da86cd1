// protocol/sse_parser: incremental parsing whatever the chunking (every split point, byte at a
// time, CR/LF/CRLF across chunk ends), field dispatch (data, event, id, retry), comments, the BOM,
// and a round trip through the encoder.
#include "lib/protocol/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/protocol/sse_encoder.hpp"

namespace herald::protocol {
namespace {

std::vector<sse_message> parse_all(std::string_view bytes) {
    sse_parser p;
    return p.feed(bytes);
}

std::vector<sse_message> parse_bytewise(std::string_view bytes) {
    sse_parser p;
    std::vector<sse_message> out;
    for (char c : bytes) {
        auto got = p.feed(std::string_view(&c, 1));
        out.insert(out.end(), got.begin(), got.end());
    }
    return out;
}

void expect_same(const std::vector<sse_message>& a, const std::vector<sse_message>& b, const std::string& where) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id) << where << " event " << i;
        EXPECT_EQ(a[i].event, b[i].event) << where << " event " << i;
        EXPECT_EQ(a[i].data, b[i].data) << where << " event " << i;
    }
}

TEST(SseParser, ParsesOneEvent) {
    auto out = parse_all("data: hello\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "hello");
    EXPECT_EQ(out[0].event, "message");
    EXPECT_EQ(out[0].id, "");
}

TEST(SseParser, DispatchesOnlyAtTheBlankLine) {
    sse_parser p;
    EXPECT_TRUE(p.feed("data: a\n").empty());
    EXPECT_TRUE(p.feed("data: b").empty());
    EXPECT_TRUE(p.feed("\n").empty());
    auto out = p.feed("\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a\nb");
}

TEST(SseParser, JoinsDataLinesWithLf) {
    auto out = parse_all("data: a\ndata: b\ndata: c\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a\nb\nc");
}

TEST(SseParser, AcceptsLfCrAndCrlfLineEnds) {
    auto out = parse_all("data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].data, "a\nb\nc");
    EXPECT_EQ(out[1].data, "d");
}

TEST(SseParser, CrAtChunkEndThenLfIsOneLineBreak) {
    sse_parser p;
    EXPECT_TRUE(p.feed("data: a\r").empty());
    EXPECT_TRUE(p.feed("\ndata: b\r").empty());  // a CRLF split across chunks is not a blank line
    auto out = p.feed("\n\r\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a\nb");
}

TEST(SseParser, CrCrIsABlankLine) {
    sse_parser p;
    EXPECT_TRUE(p.feed("data: a\r").empty());
    auto out = p.feed("\r");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a");
}

const std::string mixed_stream =
    ": opening comment\r\n"
    "retry: 2500\n"
    "id: c1\r"
    "event: price\r\n"
    "data: {\"n\":1}\n"
    "data:second line\r"
    "\r\n"
    "data: no name\n"
    "\n"
    "id: c3\n"
    "event: tick\n"
    "data\n"
    "data:  two spaces\r\n"
    "\r"
    "data: tail\r\n"
    "\r\n";

TEST(SseParser, GivesTheSameEventsAtEverySplitPoint) {
    auto whole = parse_all(mixed_stream);
    ASSERT_EQ(whole.size(), 4u);
    for (std::size_t i = 0; i <= mixed_stream.size(); ++i) {
        sse_parser p;
        auto out = p.feed(std::string_view(mixed_stream).substr(0, i));
        auto rest = p.feed(std::string_view(mixed_stream).substr(i));
        out.insert(out.end(), rest.begin(), rest.end());
        expect_same(whole, out, "split at " + std::to_string(i));
        EXPECT_EQ(p.retry_ms(), 2500u);
        EXPECT_EQ(p.comments_seen(), 1u);
        EXPECT_EQ(p.last_event_id(), "c3");
    }
}

TEST(SseParser, GivesTheSameEventsByteAtATime) {
    auto whole = parse_all(mixed_stream);
    expect_same(whole, parse_bytewise(mixed_stream), "bytewise");
    ASSERT_EQ(whole.size(), 4u);
    EXPECT_EQ(whole[0].id, "c1");
    EXPECT_EQ(whole[0].event, "price");
    EXPECT_EQ(whole[0].data, "{\"n\":1}\nsecond line");
    EXPECT_EQ(whole[1].id, "c1");
    EXPECT_EQ(whole[1].event, "message");
    EXPECT_EQ(whole[1].data, "no name");
    EXPECT_EQ(whole[2].id, "c3");
    EXPECT_EQ(whole[2].event, "tick");
    EXPECT_EQ(whole[2].data, "\n two spaces");
    EXPECT_EQ(whole[3].id, "c3");
    EXPECT_EQ(whole[3].event, "message");
    EXPECT_EQ(whole[3].data, "tail");
}

TEST(SseParser, StripsExactlyOneSpaceAfterTheColon) {
    auto out = parse_all("data:x\n\ndata: x\n\ndata:  x\n\n");
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].data, "x");
    EXPECT_EQ(out[1].data, "x");
    EXPECT_EQ(out[2].data, " x");
}

TEST(SseParser, KeepsColonsInTheValue) {
    auto out = parse_all("data: a: b:c\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a: b:c");
}

TEST(SseParser, FieldWithoutColonHasEmptyValue) {
    auto out = parse_all("data\n\ndata\ndata\n\n");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].data, "");
    EXPECT_EQ(out[1].data, "\n");
}

TEST(SseParser, EmptyDataLineDispatchesAnEmptyEvent) {
    auto out = parse_all("data:\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "");
}

TEST(SseParser, BlockWithoutDataDispatchesNothingAndResetsEventName) {
    auto out = parse_all("event: lonely\n\ndata: x\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].event, "message");
    EXPECT_EQ(out[0].data, "x");
}

TEST(SseParser, EventNameAppliesToOneEventOnly) {
    auto out = parse_all("event: price\ndata: 1\n\ndata: 2\n\n");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].event, "price");
    EXPECT_EQ(out[1].event, "message");
}

TEST(SseParser, EmptyEventFieldMeansMessage) {
    auto out = parse_all("event:\ndata: 1\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].event, "message");
}

TEST(SseParser, IdPersistsAcrossEvents) {
    sse_parser p;
    auto out = p.feed("id: 5\ndata: a\n\ndata: b\n\n");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, "5");
    EXPECT_EQ(out[1].id, "5");
    EXPECT_EQ(p.last_event_id(), "5");
}

TEST(SseParser, IdWithoutDataStillSetsLastEventId) {
    sse_parser p;
    EXPECT_TRUE(p.feed("id: 7\n\n").empty());
    EXPECT_EQ(p.last_event_id(), "7");
    auto out = p.feed("data: x\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, "7");
}

TEST(SseParser, EmptyIdResetsLastEventId) {
    sse_parser p;
    auto out = p.feed("id: 1\ndata: a\n\nid\ndata: b\n\n");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, "1");
    EXPECT_EQ(out[1].id, "");
    EXPECT_EQ(p.last_event_id(), "");
}

TEST(SseParser, IgnoresIdContainingNul) {
    sse_parser p;
    p.feed("id: good\n\n");
    auto out = p.feed(std::string("id: ba\0d\ndata: x\n\n", 19));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, "good");
    EXPECT_EQ(p.last_event_id(), "good");
}

TEST(SseParser, ReadsRetryOnlyWhenAllDigits) {
    sse_parser p;
    EXPECT_FALSE(p.retry_ms());
    p.feed("retry: 3000\n");
    EXPECT_EQ(p.retry_ms(), 3000u);
    p.feed("retry: 12a\nretry: -1\nretry: +5\nretry:\nretry: 1.5\nretry:  7\n");
    EXPECT_EQ(p.retry_ms(), 3000u);
    p.feed("retry:0\n");
    EXPECT_EQ(p.retry_ms(), 0u);
}

TEST(SseParser, RetryAloneDispatchesNothing) { EXPECT_TRUE(parse_all("retry: 10\n\n").empty()); }

TEST(SseParser, CountsCommentsWithoutBreakingAnEvent) {
    sse_parser p;
    auto out = p.feed(":\n: keepalive\ndata: a\n: in the middle\ndata: b\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "a\nb");
    EXPECT_EQ(p.comments_seen(), 3u);
}

TEST(SseParser, IgnoresUnknownAndMiscasedFields) {
    auto out = parse_all("foo: bar\nData: no\nDATA: no\n data: no\ndata: yes\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "yes");
}

TEST(SseParser, DropsAnIncompleteEventAtTheEnd) {
    sse_parser p;
    auto out = p.feed("data: complete\n\ndata: half");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "complete");
    EXPECT_TRUE(p.feed("").empty());
    EXPECT_TRUE(p.feed("\n").empty());  // "data: half" ended, but no blank line yet
    EXPECT_TRUE(parse_all("data: x\n").empty());
    EXPECT_TRUE(parse_all("data: x").empty());
}

TEST(SseParser, StripsALeadingBomEvenWhenSplit) {
    const std::string stream = "\xEF\xBB\xBF" "data: x\n\n";
    expect_same(parse_all(stream), parse_bytewise(stream), "bom bytewise");
    auto out = parse_all(stream);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "x");
}

TEST(SseParser, StripsTheBomOnlyAtTheStart) {
    auto out = parse_all("data: a\n\n\xEF\xBB\xBF" "data: b\n\n");
    ASSERT_EQ(out.size(), 1u);  // the second line's field name is "\xEF\xBB\xBFdata": unknown
    EXPECT_EQ(out[0].data, "a");
}

TEST(SseParser, KeepsUnicodeBytes) {
    auto out = parse_all("data: héllo ✓ 🚀\n\n");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "héllo ✓ 🚀");
}

TEST(SseParser, ParsesA64KiBLineFedInOddChunks) {
    std::string big(64 * 1024, 'y');
    std::string stream = "data: " + big + "\r\n\r\n";
    sse_parser p;
    std::vector<sse_message> out;
    for (std::size_t i = 0; i < stream.size(); i += 997) {
        auto got = p.feed(std::string_view(stream).substr(i, 997));
        out.insert(out.end(), got.begin(), got.end());
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, big);
}

TEST(SseParser, RoundTripsWhatTheEncoderWrites) {
    model::event ev;
    ev.channel = "news";
    ev.offset = 3;
    ev.name = "update";
    ev.data = "line 1\r\nline 2\rline 3\n: not a comment";
    ev.kind = model::data_kind::text;
    std::string stream = sse_retry(1500) + sse_comment("hi") + sse_id_line("0a1b00000000.3") + sse_event_body(ev, false);
    sse_parser p;
    auto out = p.feed(stream);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, "0a1b00000000.3");
    EXPECT_EQ(out[0].event, "update");
    EXPECT_EQ(out[0].data, "line 1\nline 2\nline 3\n: not a comment");
    EXPECT_EQ(p.retry_ms(), 1500u);
    EXPECT_EQ(p.comments_seen(), 1u);
}

}  // namespace
}  // namespace herald::protocol
