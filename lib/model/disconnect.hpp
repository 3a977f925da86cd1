// Why the server ends a stream: one catalog for SSE (herald.disconnect) and WebSocket close codes.
// 1000-1015 are RFC 6455 codes; 4000-4099 may reconnect (and resume); 4100-4199 should not.
// docs/close-codes.md renders this table; keep them together.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace herald::model {

struct disconnect {
    std::uint16_t code;
    std::string_view name;
    std::string_view reason;  // ≤ 123 bytes, fits a WebSocket close frame
    bool reconnect;
};

namespace disconnects {
inline constexpr disconnect normal{1000, "normal", "normal closure", true};
inline constexpr disconnect going_away{1001, "going_away", "going away", true};
inline constexpr disconnect protocol_error{1002, "protocol_error", "protocol error", false};
inline constexpr disconnect unsupported_data{1003, "unsupported_data", "binary frames are not supported", false};
inline constexpr disconnect invalid_payload{1007, "invalid_payload", "text frame is not valid UTF-8", false};
inline constexpr disconnect message_too_big{1009, "message_too_big", "message too big", false};
inline constexpr disconnect internal_error{1011, "internal_error", "internal error", true};
inline constexpr disconnect shutdown{1012, "shutdown", "service restart", true};
inline constexpr disconnect slow_consumer{4001, "slow_consumer", "slow consumer: outbox limit exceeded", true};
inline constexpr disconnect token_expired{4002, "token_expired", "token expired", true};
inline constexpr disconnect idle_timeout{4003, "idle_timeout", "no frame from the client for two ping intervals", true};
inline constexpr disconnect broker_unavailable{4004, "broker_unavailable", "broker unavailable", true};
inline constexpr disconnect forbidden{4100, "forbidden", "forbidden", false};
inline constexpr disconnect bad_request{4101, "bad_request", "bad request", false};
inline constexpr disconnect user_disconnected{4102, "user_disconnected", "disconnected by the application", false};
inline constexpr disconnect origin_not_allowed{4103, "origin_not_allowed", "cookie token from an origin not allowed",
                                               false};

inline constexpr std::array all{normal,         going_away,    protocol_error,     unsupported_data, invalid_payload,
                                message_too_big, internal_error, shutdown,          slow_consumer,    token_expired,
                                idle_timeout,    broker_unavailable, forbidden,     bad_request,      user_disconnected,
                                origin_not_allowed};
}  // namespace disconnects

}  // namespace herald::model
