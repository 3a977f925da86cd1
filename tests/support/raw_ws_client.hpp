// raw_ws_client: a WebSocket peer over a plain socket, for tests that break the protocol on
// purpose: the opening handshake written by hand (RFC 6455's sample key), then any bytes
// (unmasked, binary, oversized, invalid UTF-8), and the server's frames decoded as they come.
// It never answers pings by itself, so it also plays a silent peer. Blocking; test thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/raw_sse_client.hpp"

namespace herald::test {

// RFC 6455 §1.3's sample key and the Sec-WebSocket-Accept it must produce.
inline constexpr std::string_view sample_ws_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view sample_ws_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// WebSocket opcodes as numbers, so tests can also send ones that do not exist.
namespace ws_op {
inline constexpr std::uint8_t continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10;
}

// One client frame: the header (7, 16 or 64-bit length as needed, or `declared_length` when
// given), a fixed masking key when `masked`, and the payload (masked accordingly).
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool masked = true, bool fin = true,
                         std::optional<std::uint64_t> declared_length = std::nullopt);

struct server_frame {
    bool fin = true;
    bool masked = false;
    std::uint8_t opcode = 0;
    std::string payload;
    std::uint16_t close_code() const;  // 1005 (none) when the close payload is empty
    std::string close_reason() const;
};

class raw_ws_client {
public:
    // Connects and sends the upgrade request for `target` (with `extra_bytes` in the same write,
    // e.g. early frames), then reads the response head. rcvbuf > 0 makes a small receive window.
    // `extra_headers` ("Name: value\r\n" lines) go into the upgrade request.
    explicit raw_ws_client(unsigned short port, const std::string& target = "/v1/ws", const std::string& extra_bytes = {},
                           int rcvbuf = 0, const std::string& extra_headers = {});

    bool ok() const { return head_.status == 101; }
    int fd() const { return conn_.fd(); }
    const http_response& response() const { return head_; }

    bool send(std::string_view bytes) { return conn_.send(bytes); }
    bool send_frame(std::uint8_t opcode, std::string_view payload, bool masked = true, bool fin = true) {
        return send(client_frame(opcode, payload, masked, fin));
    }
    bool send_text(std::string_view text) { return send_frame(ws_op::text, text); }

    // The next whole frame from the server; nullopt on timeout or when the connection ended first.
    std::optional<server_frame> next_frame(std::chrono::milliseconds timeout = 5s);
    // Reads frames until a close frame arrives; nullopt on timeout or EOF without one.
    std::optional<server_frame> wait_close(std::chrono::milliseconds timeout = 5s);
    // Reads frames until a text frame arrives; returns its payload.
    std::optional<std::string> next_text(std::chrono::milliseconds timeout = 5s);

    const std::vector<server_frame>& frames() const { return frames_; }  // every frame decoded so far
    bool wait_eof(std::chrono::milliseconds timeout = 5s) { return conn_.wait_closed(timeout); }
    bool closed() const { return conn_.closed(); }
    raw_connection& conn() { return conn_; }

private:
    std::optional<server_frame> decode();  // one frame from the front of conn_.data(), if whole

    raw_connection conn_;
    http_response head_;
    std::vector<server_frame> frames_;
};

}  // namespace herald::test
