// Log hygiene: client-chosen text cannot forge text log lines or break JSON log lines.
#include "lib/util/log_text.hpp"
#include "lib/util/utf8.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace herald::util {
namespace {

std::string text(std::string_view s) {
    std::string out;
    append_log_text(out, s);
    return out;
}

std::string json_inside(std::string_view s) {
    std::string out;
    append_log_json(out, s);
    return out;
}

TEST(LogText, ControlBytesCannotStartANewLineOrDriveTheTerminal) {
    EXPECT_EQ(text("GET /x\n2026-12-06 info admin logged in"), "GET /x\\n2026-12-06 info admin logged in");
    EXPECT_EQ(text("a\rb\tc"), "a\\rb\\tc");
    EXPECT_EQ(text("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
    EXPECT_EQ(text(std::string_view("nul\0byte", 8)), "nul\\x00byte");
    EXPECT_EQ(text("back\\slash"), "back\\\\slash");  // so an escape in the input cannot pose as ours
    EXPECT_EQ(text("plain é 🙂"), "plain é 🙂");
}

TEST(LogText, JsonLinesAlwaysParseAndKeepValidUtf8) {
    const std::string inputs[] = {"quote \" and \\ and \n", std::string("\xff\xfe invalid", 10), "\xc0\xaf overlong",
                                  "\xed\xa0\x80 surrogate", "cut \xe2\x82", "ok é 🙂", std::string("\0\x1f\x7f", 3)};
    for (const auto& in : inputs) {
        const auto line = "{\"msg\":\"" + json_inside(in) + "\"}";
        auto j = nlohmann::json::parse(line, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << line;
        EXPECT_TRUE(j["msg"].is_string());
    }
    EXPECT_EQ(json_inside("ok é 🙂"), "ok é 🙂");
    EXPECT_EQ(json_inside(std::string("a\xff" "b", 3)), "a\\ufffdb");
    EXPECT_EQ(json_inside("\x7f"), "\\u007f");
}

TEST(LogText, Utf8SequenceLengthFollowsRfc3629) {
    EXPECT_EQ(utf8_sequence_length("a"), 1u);
    EXPECT_EQ(utf8_sequence_length("é"), 2u);
    EXPECT_EQ(utf8_sequence_length("€"), 3u);
    EXPECT_EQ(utf8_sequence_length("🙂"), 4u);
    EXPECT_EQ(utf8_sequence_length("\xc0\x80"), 0u);          // overlong
    EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80"), 0u);      // surrogate
    EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80"), 0u);  // past U+10FFFF
    EXPECT_EQ(utf8_sequence_length("\xe2\x82"), 0u);          // cut short
    EXPECT_EQ(utf8_sequence_length(""), 0u);
}

}  // namespace
}  // namespace herald::util
