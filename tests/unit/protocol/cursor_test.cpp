// protocol/cursor: the stream cursor text — encode/parse round trips, malformed cursors rejected,
// size for 16 channels, and fingerprints that are pinned (cursors survive upgrades), that
// separate names, and that are stable once the channel list is sorted.
#include "lib/protocol/cursor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace herald::protocol {
namespace {

TEST(Cursor, EncodesTwelveLowercaseHexDigitsThenOffsets) {
    cursor c{0x0a1b, 0x00c0ffee, {17, 3}};
    EXPECT_EQ(encode_cursor(c), "0a1b00c0ffee.17.3");
    cursor z{0, 0, {0}};
    EXPECT_EQ(encode_cursor(z), "000000000000.0");
    cursor top{0xffff, 0xffffffff, {1}};
    EXPECT_EQ(encode_cursor(top), "ffffffffffff.1");
}

TEST(Cursor, RoundTripsOneAndManyOffsets) {
    const std::vector<std::vector<std::uint64_t>> cases = {
        {0}, {1}, {42}, {1, 2, 3}, {0, 0, 0, 0}, {9'999'999'999'999'999'999ull}, {7, 100000, 0, 123456789012}};
    for (const auto& offsets : cases) {
        cursor c{0x1234, 0x89abcdef, offsets};
        auto text = encode_cursor(c);
        auto back = parse_cursor(text);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(back->names_fp, c.names_fp) << text;
        EXPECT_EQ(back->epochs_fp, c.epochs_fp) << text;
        EXPECT_EQ(back->offsets, c.offsets) << text;
        EXPECT_EQ(encode_cursor(*back), text);
    }
}

TEST(Cursor, RoundTripsTheLargestOffset) {
    cursor c{0x1234, 0x89abcdef, {std::numeric_limits<std::uint64_t>::max()}};
    auto text = encode_cursor(c);
    auto back = parse_cursor(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->offsets, c.offsets);
}

TEST(Cursor, ParsesUppercaseHex) {
    auto c = parse_cursor("0A1B00C0FFEE.5");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->names_fp, 0x0a1b);
    EXPECT_EQ(c->epochs_fp, 0x00c0ffeeu);
    EXPECT_EQ(c->offsets, std::vector<std::uint64_t>{5});
}

TEST(Cursor, RejectsMalformedText) {
    const std::vector<std::string> bad = {
        "",
        "earliest",
        "0a1b00000000",                          // no offset
        "0a1b00000000.",                         // empty offset
        "0a1b000000003",                         // no dot after the header
        "0a1b0000000.3",                         // 11 hex digits
        "0a1b000000000.3",                       // 13 hex digits
        "0g1b00000000.3",                        // not hex
        "0x1b00000000.3",                        // hex prefix
        " a1b00000000.3",                        // space in the header
        "-a1b00000000.3",                        // sign in the header
        "0a1b00000000.x",                        // offset not a number
        "0a1b00000000.-1",                       // negative offset
        "0a1b00000000.+1",                       // signed offset
        "0a1b00000000. 1",                       // space before the offset
        "0a1b00000000.1 ",                       // space after the offset
        "0a1b00000000.1..2",                     // empty part
        "0a1b00000000.1.",                       // trailing dot
        "0a1b00000000..1",                       // leading empty part
        "0a1b00000000.1,2",                      // wrong separator
        "0a1b00000000.99999999999999999999",     // over 2^64-1
        "0a1b00000000.1e3",                      // exponent
        std::string("0a1b00000000.1\0", 15),     // NUL
    };
    for (const auto& text : bad) EXPECT_FALSE(parse_cursor(text)) << "'" << text << "' should be rejected";
}

TEST(Cursor, RejectsOverlongText) {
    std::string text = "0a1b00000000";
    while (text.size() <= 2048) text += ".1";
    EXPECT_FALSE(parse_cursor(text));
}

TEST(Cursor, FitsIn256BytesFor16Channels) {
    // 16 channels whose offsets have 14 digits (100 trillion events each) still fit.
    cursor c{0xffff, 0xffffffff, std::vector<std::uint64_t>(16, 99'999'999'999'999ull)};
    auto text = encode_cursor(c);
    EXPECT_LE(text.size(), 256u);
    auto back = parse_cursor(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->offsets.size(), 16u);
}

TEST(Cursor, FingerprintsArePinnedSoCursorsSurviveUpgrades) {
    // FNV-1a with a 0xff separator after each name; changing these breaks every cursor in the wild.
    EXPECT_EQ(names_fingerprint({}), 0x1cd9);
    EXPECT_EQ(epochs_fingerprint({}), 0x811c9dc5u);
    EXPECT_EQ(names_fingerprint({"news"}), 0x1355);
    EXPECT_EQ(epochs_fingerprint({"e1"}), 0xf23569b4u);
    EXPECT_EQ(names_fingerprint({"a", "b"}), 0x801c);
    EXPECT_EQ(epochs_fingerprint({"x", "y"}), 0xa8d89ff4u);
}

TEST(Cursor, FingerprintsSeparateNameBoundaries) {
    EXPECT_NE(names_fingerprint({"ab", "c"}), names_fingerprint({"a", "bc"}));
    EXPECT_NE(epochs_fingerprint({"ab", "c"}), epochs_fingerprint({"a", "bc"}));
    EXPECT_NE(names_fingerprint({"abc"}), names_fingerprint({"ab", "c"}));
    EXPECT_NE(names_fingerprint({"a"}), names_fingerprint({"a", ""}));
}

TEST(Cursor, FingerprintsTellDifferentSetsApart) {
    EXPECT_NE(names_fingerprint({"news"}), names_fingerprint({"prices"}));
    EXPECT_NE(names_fingerprint({"news"}), names_fingerprint({"news", "prices"}));
    EXPECT_NE(epochs_fingerprint({"e1"}), epochs_fingerprint({"e2"}));
    EXPECT_NE(epochs_fingerprint({"e1", "e1"}), epochs_fingerprint({"e1", "e2"}));
}

TEST(Cursor, FingerprintIsStableForTheSortedChannelSet) {
    std::vector<std::string> channels = {"prices", "alerts", "news", "user:42/inbox"};
    std::vector<std::string> sorted = channels;
    std::sort(sorted.begin(), sorted.end());
    const auto expected = names_fingerprint(sorted);
    // However a client lists its channels, sorting first gives the same fingerprint.
    std::sort(channels.begin(), channels.end());
    do {
        auto copy = channels;
        std::sort(copy.begin(), copy.end());
        EXPECT_EQ(names_fingerprint(copy), expected);
    } while (std::next_permutation(channels.begin(), channels.end()));
}

TEST(Cursor, FingerprintDependsOnOrderSoCallersMustSort) {
    EXPECT_NE(names_fingerprint({"a", "b"}), names_fingerprint({"b", "a"}));
    EXPECT_NE(epochs_fingerprint({"x", "y"}), epochs_fingerprint({"y", "x"}));
}

TEST(Cursor, SingleChannelPrefixCompletesToAParsableCursor) {
    auto prefix = single_channel_cursor_prefix("news", "e1");
    EXPECT_EQ(prefix, "1355f23569b4.");
    auto c = parse_cursor(prefix + "42");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->names_fp, names_fingerprint({"news"}));
    EXPECT_EQ(c->epochs_fp, epochs_fingerprint({"e1"}));
    EXPECT_EQ(c->offsets, std::vector<std::uint64_t>{42});
    cursor built{names_fingerprint({"news"}), epochs_fingerprint({"e1"}), {42}};
    EXPECT_EQ(encode_cursor(built), prefix + "42");
}

}  // namespace
}  // namespace herald::protocol
