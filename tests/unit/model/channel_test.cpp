// model/channel: channel name validation — what is accepted, every way a name is rejected, and
// that the message names the offending character and its position.
#include "lib/model/channel.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::model {
namespace {

std::string message_for(std::string_view name) {
    auto e = validate_channel(name);
    return e ? e->message : std::string("<valid>");
}

TEST(Channel, AcceptsLettersDigitsAndAllowedPunctuation) {
    EXPECT_FALSE(validate_channel("news"));
    EXPECT_FALSE(validate_channel("a"));
    EXPECT_FALSE(validate_channel("Z9"));
    EXPECT_FALSE(validate_channel("user:42/inbox"));
    EXPECT_FALSE(validate_channel("org@acme.prices_eu=1-x"));
    EXPECT_FALSE(validate_channel("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@/=-"));
}

TEST(Channel, AcceptsEachAllowedPunctuationAlone) {
    for (char c : std::string("_.:@/=-")) {
        std::string name(1, c);
        EXPECT_FALSE(validate_channel(name)) << "'" << name << "' should be valid";
        EXPECT_FALSE(validate_channel("a" + name + "b")) << "'a" << name << "b' should be valid";
    }
}

TEST(Channel, AcceptsExactly200Bytes) {
    EXPECT_EQ(max_channel_length, 200u);
    EXPECT_FALSE(validate_channel(std::string(200, 'x')));
}

TEST(Channel, RejectsEmptyName) {
    auto e = validate_channel("");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "invalid_channel");
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->message, "channel name is empty");
    EXPECT_FALSE(e->hint.empty());
}

TEST(Channel, Rejects201Bytes) {
    auto e = validate_channel(std::string(201, 'x'));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "invalid_channel");
    EXPECT_EQ(e->message, "channel name is 201 bytes, over the limit of 200");
}

TEST(Channel, RejectsSpaceNamingItsPosition) {
    auto e = validate_channel("my channel");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "invalid_channel");
    EXPECT_EQ(e->status, 400);
    // A space is not printable-visible, so it is shown as a byte value.
    EXPECT_EQ(e->message, "channel 'my channel' has invalid character byte 0x20 at position 2");
}

TEST(Channel, RejectsUnicodeByteShownAsHex) {
    // "é" is 0xc3 0xa9 in UTF-8: the first byte at position 1 is reported.
    EXPECT_EQ(message_for("caf\xc3\xa9"), "channel 'caf\xc3\xa9' has invalid character byte 0xc3 at position 3");
    EXPECT_EQ(message_for("\xe2\x9c\x93"), "channel '\xe2\x9c\x93' has invalid character byte 0xe2 at position 0");
}

TEST(Channel, RejectsControlBytes) {
    EXPECT_EQ(message_for(std::string("a\0b", 3)), std::string("channel 'a") + '\0' + "b' has invalid character byte 0x00 at position 1");
    EXPECT_EQ(message_for("a\nb"), "channel 'a\nb' has invalid character byte 0x0a at position 1");
    EXPECT_EQ(message_for("ab\x7f"), "channel 'ab\x7f' has invalid character byte 0x7f at position 2");
}

TEST(Channel, RejectsEveryDisallowedPrintablePunctuationNamingIt) {
    const std::string allowed = "_.:@/=-";
    for (int c = 0x21; c < 0x7f; ++c) {
        const char ch = static_cast<char>(c);
        const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (alnum || allowed.find(ch) != std::string::npos) continue;
        std::string name = "ab";
        name.push_back(ch);
        auto e = validate_channel(name);
        ASSERT_TRUE(e) << "'" << name << "' should be rejected";
        EXPECT_EQ(e->code, "invalid_channel");
        EXPECT_EQ(e->message, "channel '" + name + "' has invalid character '" + std::string(1, ch) + "' at position 2");
    }
}

TEST(Channel, ReportsFirstOffendingCharacter) {
    EXPECT_EQ(message_for("ok#bad!"), "channel 'ok#bad!' has invalid character '#' at position 2");
}

TEST(Channel, ChecksLengthBeforeCharacters) {
    std::string name(300, ' ');
    EXPECT_EQ(message_for(name), "channel name is 300 bytes, over the limit of 200");
}

}  // namespace
}  // namespace herald::model
