// protocol/ws_frame: server frame headers at each length boundary, close frames, the client frame
// parser (masking, fragmentation, byte-at-a-time input, interleaved control frames, the close code
// for each violation) and UTF-8 validation edge cases (overlongs, surrogates, range, truncation).
#include "lib/protocol/ws_frame.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::protocol {
namespace {

std::string bytes(std::initializer_list<unsigned> list) {
    std::string out;
    for (unsigned b : list) out.push_back(static_cast<char>(b));
    return out;
}

struct frame_opts {
    bool fin = true;
    bool masked = true;
    unsigned rsv = 0;                              // bits 0x70
    int form = 0;                                  // 0: shortest; 7, 16 or 64: force that length form
    std::optional<std::uint64_t> declared_length;  // a length other than the payload's

    frame_opts& partial() { fin = false; return *this; }
    frame_opts& unmasked() { masked = false; return *this; }
    frame_opts& reserved(unsigned bits) { rsv = bits; return *this; }
    frame_opts& length_form(int f) { form = f; return *this; }
    frame_opts& declare(std::uint64_t n) { declared_length = n; return *this; }
};

// A client frame as a browser would send it (masked with a fixed, non-zero key).
std::string client_frame(unsigned opcode, std::string_view payload, frame_opts o = frame_opts()) {
    std::string out;
    out.push_back(static_cast<char>((o.fin ? 0x80 : 0) | o.rsv | opcode));
    const std::uint64_t n = o.declared_length.value_or(payload.size());
    const unsigned mask_bit = o.masked ? 0x80 : 0;
    int form = o.form ? o.form : (n < 126 ? 7 : n <= 0xffff ? 16 : 64);
    if (form == 7) {
        out.push_back(static_cast<char>(mask_bit | n));
    } else if (form == 16) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
    }
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (o.masked) out.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(o.masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
    return out;
}

constexpr unsigned op_cont = 0, op_text = 1, op_binary = 2, op_close = 8, op_ping = 9, op_pong = 10;

// ---- server frames -------------------------------------------------------------------------

TEST(WsFrame, EmptyTextFrameIsTwoBytes) { EXPECT_EQ(ws_frame(ws_opcode::text, ""), bytes({0x81, 0x00})); }

TEST(WsFrame, SevenBitLengthUpTo125) {
    std::string payload(125, 'a');
    auto f = ws_frame(ws_opcode::text, payload);
    ASSERT_EQ(f.size(), 2u + 125);
    EXPECT_EQ(f.substr(0, 2), bytes({0x81, 125}));
    EXPECT_EQ(f.substr(2), payload);
}

TEST(WsFrame, SixteenBitLengthFrom126) {
    std::string payload(126, 'b');
    auto f = ws_frame(ws_opcode::text, payload);
    ASSERT_EQ(f.size(), 4u + 126);
    EXPECT_EQ(f.substr(0, 4), bytes({0x81, 126, 0x00, 126}));
    EXPECT_EQ(f.substr(4), payload);
}

TEST(WsFrame, SixteenBitLengthUpTo65535) {
    std::string payload(65535, 'c');
    auto f = ws_frame(ws_opcode::binary, payload);
    ASSERT_EQ(f.size(), 4u + 65535);
    EXPECT_EQ(f.substr(0, 4), bytes({0x82, 126, 0xff, 0xff}));
    EXPECT_EQ(f.substr(4), payload);
}

TEST(WsFrame, SixtyFourBitLengthFrom65536) {
    std::string payload(65536, 'd');
    auto f = ws_frame(ws_opcode::text, payload);
    ASSERT_EQ(f.size(), 10u + 65536);
    EXPECT_EQ(f.substr(0, 10), bytes({0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
    EXPECT_EQ(f.substr(10), payload);
}

TEST(WsFrame, ServerFramesAreFinalAndUnmasked) {
    for (auto op : {ws_opcode::text, ws_opcode::binary, ws_opcode::ping, ws_opcode::pong, ws_opcode::close}) {
        auto f = ws_frame(op, "xy");
        EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x80u | static_cast<unsigned>(op));
        EXPECT_EQ(static_cast<unsigned char>(f[1]) & 0x80u, 0u);
    }
}

TEST(WsFrame, CloseFrameCarriesCodeAndReason) {
    auto f = ws_close_frame(4001, "slow consumer");
    EXPECT_EQ(f, bytes({0x88, 15, 0x0f, 0xa1}) + "slow consumer");
}

TEST(WsFrame, CloseFrameCutsTheReasonTo123Bytes) {
    auto f = ws_close_frame(1000, std::string(200, 'r'));
    ASSERT_EQ(f.size(), 2u + 125);
    EXPECT_EQ(static_cast<unsigned char>(f[1]), 125u);  // still a valid control frame
    EXPECT_EQ(f.substr(4), std::string(123, 'r'));
}

// ---- client frame parser -------------------------------------------------------------------

struct parsed {
    std::vector<ws_message> messages;
    std::optional<ws_parse_error> error;
};

parsed feed_all(ws_parser& p, std::string_view input) {
    parsed out;
    out.error = p.feed(input, out.messages);
    return out;
}

parsed feed_bytewise(ws_parser& p, std::string_view input) {
    parsed out;
    for (char c : input) {
        out.error = p.feed(std::string_view(&c, 1), out.messages);
        if (out.error) break;
    }
    return out;
}

TEST(WsParser, UnmasksATextFrame) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "hello"));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].opcode, ws_opcode::text);
    EXPECT_EQ(r.messages[0].payload, "hello");
    EXPECT_FALSE(p.mid_message());
}

TEST(WsParser, ParsesEmptyAndBinaryFrames) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "") + client_frame(op_binary, bytes({0x00, 0xff, 0xc0})));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].payload, "");
    EXPECT_EQ(r.messages[1].opcode, ws_opcode::binary);
    EXPECT_EQ(r.messages[1].payload, bytes({0x00, 0xff, 0xc0}));
}

TEST(WsParser, ParsesSixteenAndSixtyFourBitLengths) {
    ws_parser p(100000);
    std::string mid(300, 'm'), big(70000, 'g');
    auto r = feed_all(p, client_frame(op_text, mid) + client_frame(op_binary, big));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].payload, mid);
    EXPECT_EQ(r.messages[1].payload, big);
}

TEST(WsParser, AcceptsNonMinimalLengthForms) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "abc", frame_opts().length_form(16)) +
                             client_frame(op_text, "de", frame_opts().length_form(64)));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].payload, "abc");
    EXPECT_EQ(r.messages[1].payload, "de");
}

TEST(WsParser, ByteAtATimeGivesTheSameMessages) {
    std::string input = client_frame(op_text, "first") + client_frame(op_ping, "p") +
                        client_frame(op_text, std::string(200, 'x')) +
                        client_frame(op_binary, std::string(70000, 'y')) + client_frame(op_text, "fr", frame_opts().partial()) +
                        client_frame(op_cont, "ag") + client_frame(op_close, bytes({0x03, 0xe8}) + "bye");
    ws_parser whole_parser(100000), byte_parser(100000);
    auto whole = feed_all(whole_parser, input);
    auto bytewise = feed_bytewise(byte_parser, input);
    ASSERT_FALSE(whole.error);
    ASSERT_FALSE(bytewise.error);
    ASSERT_EQ(whole.messages.size(), 6u);
    ASSERT_EQ(bytewise.messages.size(), whole.messages.size());
    for (std::size_t i = 0; i < whole.messages.size(); ++i) {
        EXPECT_EQ(bytewise.messages[i].opcode, whole.messages[i].opcode) << i;
        EXPECT_EQ(bytewise.messages[i].payload, whole.messages[i].payload) << i;
    }
    EXPECT_EQ(whole.messages[4].payload, "frag");
    EXPECT_EQ(whole.messages[5].opcode, ws_opcode::close);
    EXPECT_FALSE(byte_parser.mid_message());
}

TEST(WsParser, SaysMidMessageWhileAFrameOrMessageIsIncomplete) {
    ws_parser p(1024);
    std::vector<ws_message> out;
    auto frame = client_frame(op_text, "hello");
    EXPECT_FALSE(p.mid_message());
    ASSERT_FALSE(p.feed(frame.substr(0, 1), out));
    EXPECT_TRUE(p.mid_message());
    ASSERT_FALSE(p.feed(frame.substr(1, 5), out));
    EXPECT_TRUE(p.mid_message());
    ASSERT_FALSE(p.feed(frame.substr(6), out));
    EXPECT_FALSE(p.mid_message());
    ASSERT_FALSE(p.feed(client_frame(op_text, "a", frame_opts().partial()), out));
    EXPECT_TRUE(p.mid_message());  // a whole frame, but the message goes on
    ASSERT_FALSE(p.feed(client_frame(op_cont, "b"), out));
    EXPECT_FALSE(p.mid_message());
    ASSERT_EQ(out.size(), 2u);
}

TEST(WsParser, ShrinkKeepsPendingState) {
    ws_parser p(1024);
    std::vector<ws_message> out;
    auto first = client_frame(op_text, "ab", frame_opts().partial());
    auto second = client_frame(op_cont, "cd");
    ASSERT_FALSE(p.feed(first, out));
    ASSERT_FALSE(p.feed(second.substr(0, 3), out));
    p.shrink();
    ASSERT_FALSE(p.feed(second.substr(3), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, "abcd");
    p.shrink();
    ASSERT_FALSE(p.feed(client_frame(op_text, "again"), out));
    EXPECT_EQ(out.back().payload, "again");
}

TEST(WsParser, ReassemblesFragments) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "Hel", frame_opts().partial()) + client_frame(op_cont, "lo", frame_opts().partial()) +
                             client_frame(op_cont, "", frame_opts().partial()) + client_frame(op_cont, " world"));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].opcode, ws_opcode::text);
    EXPECT_EQ(r.messages[0].payload, "Hello world");
}

TEST(WsParser, ReassemblesBinaryFragmentsAsBinary) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_binary, bytes({0xff}), frame_opts().partial()) + client_frame(op_cont, bytes({0xfe})));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].opcode, ws_opcode::binary);
    EXPECT_EQ(r.messages[0].payload, bytes({0xff, 0xfe}));
}

TEST(WsParser, DeliversControlFramesBetweenFragmentsFirst) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "one ", frame_opts().partial()) + client_frame(op_ping, "p1") +
                             client_frame(op_cont, "two ", frame_opts().partial()) + client_frame(op_pong, "p2") +
                             client_frame(op_cont, "three"));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[0].opcode, ws_opcode::ping);
    EXPECT_EQ(r.messages[0].payload, "p1");
    EXPECT_EQ(r.messages[1].opcode, ws_opcode::pong);
    EXPECT_EQ(r.messages[1].payload, "p2");
    EXPECT_EQ(r.messages[2].opcode, ws_opcode::text);
    EXPECT_EQ(r.messages[2].payload, "one two three");
}

TEST(WsParser, AcceptsUtf8SplitAcrossFragments) {
    ws_parser p(1024);
    const std::string check = "\xe2\x9c\x93";  // U+2713, three bytes
    auto r = feed_all(p, client_frame(op_text, "ok " + check.substr(0, 1), frame_opts().partial()) +
                             client_frame(op_cont, check.substr(1)));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, "ok " + check);
}

TEST(WsParser, ParsesCloseFrames) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_close, bytes({0x03, 0xe8}) + "bye") + client_frame(op_close, ""));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].opcode, ws_opcode::close);
    EXPECT_EQ(r.messages[0].payload, bytes({0x03, 0xe8}) + "bye");
    EXPECT_EQ(r.messages[1].payload, "");
}

TEST(WsParser, ParsesWhatTheServerCloseFrameHoldsWhenMasked) {
    auto server = ws_close_frame(1001, "going away");
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_close, server.substr(2)));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, bytes({0x03, 0xe9}) + "going away");
}

void expect_error(std::string_view input, std::uint16_t code, std::size_t max = 1024) {
    ws_parser whole(max), bytewise(max);
    auto a = feed_all(whole, input);
    ASSERT_TRUE(a.error) << "expected close code " << code;
    EXPECT_EQ(a.error->close_code, code) << a.error->message;
    EXPECT_FALSE(a.error->message.empty());
    auto b = feed_bytewise(bytewise, input);
    ASSERT_TRUE(b.error) << "bytewise: expected close code " << code;
    EXPECT_EQ(b.error->close_code, code) << b.error->message;
}

TEST(WsParser, RejectsUnmaskedClientFrameWith1002) {
    expect_error(client_frame(op_text, "hello", frame_opts().unmasked()), 1002);
    expect_error(ws_frame(ws_opcode::text, "server style"), 1002);
    expect_error(client_frame(op_ping, "", frame_opts().unmasked()), 1002);
}

TEST(WsParser, RejectsReservedBitsWith1002) {
    expect_error(client_frame(op_text, "x", frame_opts().reserved(0x40)), 1002);
    expect_error(client_frame(op_text, "x", frame_opts().reserved(0x20)), 1002);
    expect_error(client_frame(op_text, "x", frame_opts().reserved(0x10)), 1002);
}

TEST(WsParser, RejectsUnknownOpcodesWith1002) {
    for (unsigned op : {3u, 4u, 5u, 6u, 7u, 11u, 12u, 13u, 14u, 15u}) expect_error(client_frame(op, "x"), 1002);
}

TEST(WsParser, RejectsBadControlFramesWith1002) {
    expect_error(client_frame(op_ping, std::string(126, 'p')), 1002);
    expect_error(client_frame(op_ping, "p", frame_opts().partial()), 1002);
    expect_error(client_frame(op_close, "x"), 1002);  // a 1-byte close payload
    ws_parser ok(1024);
    auto r = feed_all(ok, client_frame(op_ping, std::string(125, 'p')));
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.messages.at(0).payload.size(), 125u);
}

TEST(WsParser, RejectsBrokenFragmentSequencesWith1002) {
    expect_error(client_frame(op_cont, "orphan"), 1002);
    expect_error(client_frame(op_text, "a", frame_opts().partial()) + client_frame(op_text, "b"), 1002);
    expect_error(client_frame(op_text, "a", frame_opts().partial()) + client_frame(op_binary, "b"), 1002);
    expect_error(client_frame(op_text, "a") + client_frame(op_cont, "b"), 1002);
}

TEST(WsParser, AcceptsAMessageOfExactlyTheLimit) {
    ws_parser p(10);
    auto r = feed_all(p, client_frame(op_text, std::string(10, 'x')) + client_frame(op_text, "12345", frame_opts().partial()) +
                             client_frame(op_cont, "67890"));
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.messages.size(), 2u);
}

TEST(WsParser, RejectsOversizeFrameWith1009FromItsHeader) {
    expect_error(client_frame(op_text, std::string(11, 'x')), 1009, 10);
    // The header alone is enough: the payload never has to arrive.
    ws_parser p(1000);
    auto header = client_frame(op_binary, "", frame_opts().declare(1u << 20)).substr(0, 10);
    auto r = feed_all(p, header);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->close_code, 1009);
}

TEST(WsParser, RejectsOversizeFragmentedMessageWith1009) {
    expect_error(client_frame(op_text, "123456", frame_opts().partial()) + client_frame(op_cont, "78901"), 1009, 10);
}

TEST(WsParser, RejectsHugeSixtyFourBitLengthWith1009OrWithTheTopBitSet1002) {
    expect_error(client_frame(op_text, "", frame_opts().declare(1ull << 62)).substr(0, 14), 1009);
    expect_error(client_frame(op_text, "", frame_opts().declare(UINT64_MAX - 1)).substr(0, 14), 1002);
    expect_error(client_frame(op_text, "", frame_opts().declare(1ull << 63)).substr(0, 14), 1002);
}

TEST(WsParser, RejectsHugeLengthInAContinuationFrame) {
    // Regression: the size check once computed len + message_.size(), which wrapped; the parser then
    // read the mask past the data and threw std::out_of_range from substr.
    ws_parser p(1024);
    std::vector<ws_message> out;
    ASSERT_FALSE(p.feed(client_frame(op_text, "a", frame_opts().partial()), out));
    // Declared length 2^64 - 1: plus the one buffered byte it wraps to 0. Fed as a socket might.
    auto evil = client_frame(op_cont, "", frame_opts().declare(UINT64_MAX)).substr(0, 14);
    std::optional<ws_parse_error> err;
    for (char c : evil) {
        EXPECT_NO_THROW(err = p.feed(std::string_view(&c, 1), out));
        if (err) break;
    }
    ASSERT_TRUE(err);
    EXPECT_EQ(err->close_code, 1002);  // the most significant bit is set: a protocol error in itself
    EXPECT_TRUE(out.empty());
}

TEST(WsParser, RejectsAWrappingLengthInsteadOfBufferingForever) {
    // Regression: with the wrapped size check the parser waited for 2^64 bytes, buffering without limit.
    ws_parser p(1024);
    std::vector<ws_message> out;
    ASSERT_FALSE(p.feed(client_frame(op_binary, std::string(100, 'a'), frame_opts().partial()), out));
    auto evil = client_frame(op_cont, "", frame_opts().declare(0 - std::uint64_t{100})).substr(0, 14);
    std::optional<ws_parse_error> err = p.feed(evil, out);
    const std::string junk(64 * 1024, 'j');
    for (int i = 0; i < 32 && !err; ++i) err = p.feed(junk, out);  // 2 MiB, far over the 1 KiB limit
    ASSERT_TRUE(err);
    EXPECT_EQ(err->close_code, 1002);
}

TEST(WsParser, RejectsA64BitLengthWithTheTopBitSetWhateverTheLimit) {
    ws_parser p(std::numeric_limits<std::size_t>::max());
    std::vector<ws_message> out;
    auto err = p.feed(client_frame(op_text, "", frame_opts().declare((1ull << 63) | 5)).substr(0, 14), out);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->close_code, 1002);
    EXPECT_NE(err->message.find("most significant bit"), std::string::npos);
}

TEST(WsParser, AFrameFedByteByByteCostsLinearTime) {
    // Regression: each feed re-copied the whole partial frame, so 4 MiB a byte at a time copied
    // ~8 TB (the test would run for hours). Now each byte is appended once.
    const std::size_t size = 4 << 20;
    ws_parser p(size);
    std::vector<ws_message> out;
    const auto frame = client_frame(op_text, std::string(size, 'x'));
    for (std::size_t i = 0; i < frame.size(); ++i) ASSERT_FALSE(p.feed(std::string_view(frame).substr(i, 1), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.size(), size);
    EXPECT_FALSE(p.mid_message());
}

TEST(WsParser, RejectsInvalidUtf8TextWith1007) {
    expect_error(client_frame(op_text, "bad \xff"), 1007);
    expect_error(client_frame(op_text, "\xed\xa0\x80"), 1007);  // a surrogate
    expect_error(client_frame(op_text, "ends mid character \xe2\x9c", frame_opts().partial()) + client_frame(op_cont, ""),
                 1007);
}

TEST(WsParser, DoesNotCheckUtf8InBinary) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_binary, "bad \xff"));
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.messages.size(), 1u);
}

TEST(WsParser, KeepsMessagesBeforeAnErrorAndIgnoresBytesAfterIt) {
    ws_parser p(1024);
    auto r = feed_all(p, client_frame(op_text, "good") + client_frame(op_text, "bad", frame_opts().unmasked()) +
                             client_frame(op_text, "never"));
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->close_code, 1002);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, "good");
}

// ---- UTF-8 ---------------------------------------------------------------------------------

TEST(ValidUtf8, AcceptsWellFormedText) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("plain ASCII ~\x7f"));
    EXPECT_TRUE(valid_utf8(std::string("nul\0inside", 10)));
    EXPECT_TRUE(valid_utf8("\xc2\x80"));          // U+0080, smallest 2-byte
    EXPECT_TRUE(valid_utf8("\xc3\xa9"));          // é
    EXPECT_TRUE(valid_utf8("\xdf\xbf"));          // U+07FF
    EXPECT_TRUE(valid_utf8("\xe0\xa0\x80"));      // U+0800, smallest 3-byte
    EXPECT_TRUE(valid_utf8("\xe2\x82\xac"));      // €
    EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
    EXPECT_TRUE(valid_utf8("\xee\x80\x80"));      // U+E000, just above them
    EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));      // U+FFFF
    EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80"));  // U+10000, smallest 4-byte
    EXPECT_TRUE(valid_utf8("\xf0\x9f\x9a\x80"));  // 🚀
    EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
    EXPECT_TRUE(valid_utf8("mixed \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80 end"));
}

TEST(ValidUtf8, RejectsOverlongEncodings) {
    EXPECT_FALSE(valid_utf8("\xc0\x80"));          // NUL in two bytes
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // '/' in two bytes
    EXPECT_FALSE(valid_utf8("\xc1\xbf"));          // U+007F in two bytes
    EXPECT_FALSE(valid_utf8("\xe0\x80\x80"));      // NUL in three bytes
    EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));      // U+07FF in three bytes
    EXPECT_FALSE(valid_utf8("\xf0\x80\x80\x80"));  // NUL in four bytes
    EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in four bytes
}

TEST(ValidUtf8, RejectsSurrogates) {
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));  // U+D800
    EXPECT_FALSE(valid_utf8("\xed\xad\xbf"));  // U+DB7F
    EXPECT_FALSE(valid_utf8("\xed\xb0\x80"));  // U+DC00
    EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));  // U+DFFF
    EXPECT_FALSE(valid_utf8("\xed\xa0\xbd\xed\xb2\xa9"));  // a CESU-8 surrogate pair
}

TEST(ValidUtf8, RejectsCodePointsAboveU10FFFF) {
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));
    EXPECT_FALSE(valid_utf8("\xf7\xbf\xbf\xbf"));
    EXPECT_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));      // old 5-byte form
    EXPECT_FALSE(valid_utf8("\xfc\x84\x80\x80\x80\x80"));  // old 6-byte form
    EXPECT_FALSE(valid_utf8("\xfe"));
    EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(ValidUtf8, RejectsTruncatedSequences) {
    EXPECT_FALSE(valid_utf8("\xc3"));
    EXPECT_FALSE(valid_utf8("\xe2\x82"));
    EXPECT_FALSE(valid_utf8("\xf0\x9f\x9a"));
    EXPECT_FALSE(valid_utf8("ok \xf0\x9f"));
    EXPECT_FALSE(valid_utf8("\xe2\x82 next"));  // truncated in the middle
}

TEST(ValidUtf8, RejectsStrayAndMissingContinuationBytes) {
    EXPECT_FALSE(valid_utf8("\x80"));
    EXPECT_FALSE(valid_utf8("\xbf"));
    EXPECT_FALSE(valid_utf8("a\x80z"));
    EXPECT_FALSE(valid_utf8("\xc3\xa9\xa9"));  // one continuation too many
    EXPECT_FALSE(valid_utf8("\xc3\x28"));
    EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));
    EXPECT_FALSE(valid_utf8("\xe2\x82\x28"));
    EXPECT_FALSE(valid_utf8("\xf0\x28\x8c\xbc"));
    EXPECT_FALSE(valid_utf8("\xf0\x90\x28\xbc"));
    EXPECT_FALSE(valid_utf8("\xf0\x90\x8c\x28"));
}

}  // namespace
}  // namespace herald::protocol
