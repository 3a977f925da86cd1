// ws_wire: the client side of RFC 6455 as the benchmark needs it, without I/O: a random
// Sec-WebSocket-Key and the Sec-WebSocket-Accept it must produce (SHA-1 via OpenSSL), a check
// of the server's 101 response head, a parser for one server frame (unmasked) from a byte
// range, and masked client frames (pongs). Stateless; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::bench {

std::string make_ws_key();                            // 16 random bytes, base64 (24 characters)
std::string ws_accept_for(std::string_view key);      // base64(SHA-1(key + RFC 6455 GUID))
// The GET request for `target` with the upgrade headers and `key`.
std::string ws_upgrade_request(std::string_view target, std::string_view key);
// nullopt when `head` (status line and headers, without the blank line) is a 101 with
// Upgrade: websocket, Connection: Upgrade and the expected accept key; else what is wrong.
std::optional<std::string> check_ws_upgrade_response(std::string_view head, std::string_view expected_accept);

struct ws_frame_view {
    bool fin = true;
    std::uint8_t opcode = 0;
    std::string_view payload;  // points into the parsed bytes
};

enum class ws_parse_result { need_more, frame, error };

// Parses one frame from the front of `in`. On `frame`, fills `f` and sets `used` to its total
// size; on `error`, sets `error` (masked server frame, reserved bits, over max_payload bytes).
ws_parse_result parse_ws_frame(std::string_view in, ws_frame_view& f, std::size_t& used, std::string& error,
                               std::size_t max_payload = std::size_t(16) << 20);

// A whole masked client frame (random masking key), FIN set.
std::string masked_client_frame(std::uint8_t opcode, std::string_view payload);

inline constexpr std::uint8_t ws_text = 1, ws_binary = 2, ws_close = 8, ws_ping = 9, ws_pong = 10;

}  // namespace herald::bench
