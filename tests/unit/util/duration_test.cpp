// Duration parsing: units, compounds, bare seconds, and every malformed shape refused.
#include "lib/util/duration.hpp"

#include <gtest/gtest.h>

namespace herald::util {
namespace {

TEST(Duration, UnitsAndCompounds) {
    EXPECT_EQ(parse_duration_ms("45s"), 45000);
    EXPECT_EQ(parse_duration_ms("15m"), 15 * 60000);
    EXPECT_EQ(parse_duration_ms("1h"), 3600000);
    EXPECT_EQ(parse_duration_ms("7d"), 7LL * 24 * 3600000);
    EXPECT_EQ(parse_duration_ms("500ms"), 500);
    EXPECT_EQ(parse_duration_ms("1h30m"), 5400000);
    EXPECT_EQ(parse_duration_ms("0s"), 0);
}

TEST(Duration, BareNumberIsSeconds) {
    EXPECT_EQ(parse_duration_ms("90"), 90000);
    EXPECT_EQ(parse_duration_ms("1m30"), std::nullopt);  // only a lone number may omit its unit
}

TEST(Duration, RefusesMalformed) {
    for (auto bad : {"", "h", "1x", "1.5h", "-1h", "1 h", "s1", "1hh", "99999999999999999999s"})
        EXPECT_EQ(parse_duration_ms(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace herald::util
