// Why the server ends a stream: one catalog shared by SSE and (later) WebSocket close codes.
// 4000-4099 may reconnect, 4100-4199 should not.
#pragma once

#include <cstdint>
#include <string_view>

namespace herald::model {

struct disconnect {
    std::uint16_t code;
    std::string_view reason;  // <= 123 bytes, fits a WebSocket close frame
    bool reconnect;
};

namespace disconnects {
inline constexpr disconnect normal{1000, "normal closure", true};
inline constexpr disconnect going_away{1001, "going away", true};
inline constexpr disconnect shutdown{1012, "service restart", true};
inline constexpr disconnect slow_consumer{4001, "slow consumer: outbox limit exceeded", true};
inline constexpr disconnect token_expired{4002, "token expired", true};
inline constexpr disconnect forbidden{4100, "forbidden", false};
inline constexpr disconnect bad_request{4101, "bad request", false};
}  // namespace disconnects

}  // namespace herald::model
