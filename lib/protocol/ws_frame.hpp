// RFC 6455 framing without I/O: server frames (unmasked) built once and shared, and an
// incremental parser for client frames (masked) that reassembles fragmented messages and
// reports protocol violations as the close code to send. Single-threaded per parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {

enum class ws_opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// A whole unfragmented server frame: header + payload.
std::string ws_frame(ws_opcode op, std::string_view payload);
// A close frame with a status code and a reason (cut to 123 bytes).
std::string ws_close_frame(std::uint16_t code, std::string_view reason);

struct ws_message {
    ws_opcode opcode;      // text, binary, close, ping or pong (never continuation)
    std::string payload;   // unmasked; for close: code (2 bytes) + reason
};

struct ws_parse_error {
    std::uint16_t close_code;  // 1002 protocol error, 1007 bad UTF-8, 1009 too big
    std::string message;
};

class ws_parser {
public:
    explicit ws_parser(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

    // Consumes bytes; appends complete messages to `out`. Returns an error on a protocol
    // violation (the connection must then be closed with its code). Bytes after an error are ignored.
    std::optional<ws_parse_error> feed(std::string_view bytes, std::vector<ws_message>& out);
    // True while a frame or fragmented message is incomplete (the session must keep a buffer).
    bool mid_message() const { return !pending_.empty() || !message_.empty() || fragmented_; }
    // Releases buffer memory once nothing is pending.
    void shrink();

private:
    std::optional<ws_parse_error> frame(std::string_view& bytes, std::vector<ws_message>& out, bool& need_more);

    std::size_t max_message_;
    std::string pending_;  // an incomplete frame's bytes
    std::size_t want_ = 0;  // how many bytes pending_ must hold before the frame can be parsed further
    std::string message_;  // a fragmented message being reassembled
    ws_opcode message_op_ = ws_opcode::text;
    bool fragmented_ = false;
};

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace herald::protocol
