// lib/util/ascii: case folding, comparison and trimming for protocol tokens.
#include "lib/util/ascii.hpp"

#include <gtest/gtest.h>

namespace herald::util {
namespace {

TEST(Ascii, FoldsOnlyAsciiLetters) {
    EXPECT_EQ(ascii_lowered("Application/JSON+X"), "application/json+x");
    EXPECT_EQ(ascii_lower('\xC3'), '\xC3');  // bytes past ASCII stay as they are
    EXPECT_EQ(ascii_lower('@'), '@');
    EXPECT_EQ(ascii_lower('['), '[');
}

TEST(Ascii, ComparesWithoutCase) {
    EXPECT_TRUE(iequals("Chunked", "chunked"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("chunked", "chunke"));
    EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // É and é are not folded
    EXPECT_TRUE(istarts_with("Text/Plain", "text/"));
    EXPECT_FALSE(istarts_with("te", "text/"));
    EXPECT_TRUE(iends_with("application/VND.x+JSON", "+json"));
    EXPECT_FALSE(iends_with("json", "+json"));
}

TEST(Ascii, TrimsSpacesAndTabsOnly) {
    EXPECT_EQ(trim_ows(" \t gzip \t"), "gzip");
    EXPECT_EQ(trim_ows("\r\nx\r\n"), "\r\nx\r\n");
    EXPECT_EQ(trim_ows("  "), "");
}

}  // namespace
}  // namespace herald::util
