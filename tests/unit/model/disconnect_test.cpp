// model/disconnect: the close-code catalog — unique codes and names, reasons that fit a
// WebSocket close frame, and the reconnect ranges (4000-4099 may reconnect, 4100-4199 not).
#include "lib/model/disconnect.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace herald::model {
namespace {

TEST(Disconnect, CodesAndNamesAreUnique) {
    std::set<std::uint16_t> codes;
    std::set<std::string> names;
    for (const auto& d : disconnects::all) {
        EXPECT_TRUE(codes.insert(d.code).second) << d.code;
        EXPECT_TRUE(names.insert(std::string(d.name)).second) << d.name;
    }
}

TEST(Disconnect, ReasonsFitACloseFrame) {
    for (const auto& d : disconnects::all) {
        EXPECT_FALSE(d.reason.empty()) << d.name;
        EXPECT_LE(d.reason.size(), 123u) << d.name;
    }
}

TEST(Disconnect, CodesFollowTheReconnectRanges) {
    for (const auto& d : disconnects::all) {
        const bool rfc = d.code >= 1000 && d.code <= 1015;
        const bool app = d.code >= 4000 && d.code <= 4199;
        EXPECT_TRUE(rfc || app) << d.name << " " << d.code;
        if (d.code >= 4000 && d.code <= 4099) {
            EXPECT_TRUE(d.reconnect) << d.name;
        }
        if (d.code >= 4100 && d.code <= 4199) {
            EXPECT_FALSE(d.reconnect) << d.name;
        }
    }
}

TEST(Disconnect, SlowConsumerMayReconnect) {
    EXPECT_EQ(disconnects::slow_consumer.code, 4001);
    EXPECT_TRUE(disconnects::slow_consumer.reconnect);
    EXPECT_FALSE(disconnects::forbidden.reconnect);
}

}  // namespace
}  // namespace herald::model
