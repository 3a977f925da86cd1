// WebSocket framing: header encoding, client frame parsing, UTF-8 validation.
#include "lib/protocol/ws_frame.hpp"

#include "lib/util/utf8.hpp"

namespace herald::protocol {

std::string ws_frame(ws_opcode op, std::string_view payload) {
    std::string out;
    const std::size_t n = payload.size();
    out.reserve(n + 10);
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    if (n < 126) {
        out.push_back(static_cast<char>(n));
    } else if (n <= 0xffff) {
        out.push_back(static_cast<char>(126));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    } else {
        out.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((std::uint64_t{n} >> shift) & 0xff));
    }
    out.append(payload);
    return out;
}

std::string ws_close_frame(std::uint16_t code, std::string_view reason) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xff));
    payload.append(reason.substr(0, 123));
    return ws_frame(ws_opcode::close, payload);
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const auto n = util::utf8_sequence_length(s.substr(i));
        if (n == 0) return false;
        i += n;
    }
    return true;
}

void ws_parser::shrink() {
    if (pending_.empty()) std::string().swap(pending_);
    if (message_.empty() && !fragmented_) std::string().swap(message_);
}

std::optional<ws_parse_error> ws_parser::feed(std::string_view bytes, std::vector<ws_message>& out) {
    // An incomplete frame waits in pending_ and grows by appending only; it is parsed again once
    // it holds the bytes the frame was known to need, so a frame sent byte by byte costs linear time.
    std::string joined;
    if (!pending_.empty()) {
        pending_.append(bytes);
        if (pending_.size() < want_) return std::nullopt;
        joined = std::move(pending_);
        pending_.clear();
        bytes = joined;
    }
    while (!bytes.empty()) {
        bool need_more = false;
        if (auto err = frame(bytes, out, need_more)) return err;
        if (need_more) {
            pending_.assign(bytes);
            break;
        }
    }
    return std::nullopt;
}

std::optional<ws_parse_error> ws_parser::frame(std::string_view& bytes, std::vector<ws_message>& out, bool& need_more) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    auto more = [&](std::size_t n) {
        want_ = n;
        need_more = true;
        return std::nullopt;
    };
    if (bytes.size() < 2) return more(2);
    const bool fin = p[0] & 0x80;
    if (p[0] & 0x70) return ws_parse_error{1002, "reserved bits set (no extension was negotiated)"};
    const auto op = static_cast<ws_opcode>(p[0] & 0x0f);
    const bool masked = p[1] & 0x80;
    std::uint64_t len = p[1] & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
        if (bytes.size() < 4) return more(4);
        len = (std::uint64_t{p[2]} << 8) | p[3];
        head = 4;
    } else if (len == 127) {
        if (bytes.size() < 10) return more(10);
        len = 0;
        for (int k = 0; k < 8; ++k) len = (len << 8) | p[2 + k];
        if (len >> 63) return ws_parse_error{1002, "64-bit payload length with the most significant bit set"};
        head = 10;
    }
    if (!masked) return ws_parse_error{1002, "client frames must be masked"};
    const bool control = static_cast<std::uint8_t>(op) & 0x08;
    switch (op) {
        case ws_opcode::continuation:
        case ws_opcode::text:
        case ws_opcode::binary:
        case ws_opcode::close:
        case ws_opcode::ping:
        case ws_opcode::pong:
            break;
        default:
            return ws_parse_error{1002, "unknown opcode " + std::to_string(static_cast<int>(op))};
    }
    if (control && (!fin || len > 125)) return ws_parse_error{1002, "control frames must be unfragmented and ≤ 125 bytes"};
    // Not len + message_.size(): a 64-bit length near 2^64 would wrap (message_ never holds more than the limit).
    if (!control && len > max_message_ - message_.size())
        return ws_parse_error{1009, "message over " + std::to_string(max_message_) + " bytes"};
    if (bytes.size() < head + 4 + len) return more(head + 4 + static_cast<std::size_t>(len));
    const unsigned char* mask = p + head;
    std::string payload(bytes.substr(head + 4, len));
    for (std::size_t k = 0; k < payload.size(); ++k) payload[k] = static_cast<char>(payload[k] ^ mask[k & 3]);
    bytes.remove_prefix(head + 4 + len);

    if (control) {
        if (op == ws_opcode::close && payload.size() == 1) return ws_parse_error{1002, "close payload of 1 byte"};
        out.push_back({op, std::move(payload)});
        return std::nullopt;
    }
    if (op == ws_opcode::continuation) {
        if (!fragmented_) return ws_parse_error{1002, "continuation frame without a message to continue"};
        message_.append(payload);
    } else {
        if (fragmented_) return ws_parse_error{1002, "new data frame inside a fragmented message"};
        message_op_ = op;
        message_ = std::move(payload);
    }
    fragmented_ = !fin;
    if (fin) {
        if (message_op_ == ws_opcode::text && !valid_utf8(message_))
            return ws_parse_error{1007, "text message is not valid UTF-8"};
        out.push_back({message_op_, std::move(message_)});
        message_.clear();
    }
    return std::nullopt;
}

}  // namespace herald::protocol
