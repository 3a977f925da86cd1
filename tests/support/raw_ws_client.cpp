// raw_ws_client: hand-written handshake and frames over raw_connection; server frames decoded
// from the connection's byte buffer as they become whole.
#include "tests/support/raw_ws_client.hpp"

#include <gtest/gtest.h>

namespace herald::test {

namespace {
using clock_type = std::chrono::steady_clock;
constexpr unsigned char mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

std::chrono::milliseconds left(clock_type::time_point deadline) {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    return d.count() < 0 ? 0ms : d;
}
}  // namespace

std::string client_frame(std::uint8_t opcode, std::string_view payload, bool masked, bool fin,
                         std::optional<std::uint64_t> declared_length) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0f)));
    const std::uint64_t n = declared_length.value_or(payload.size());
    const char mask_bit = masked ? static_cast<char>(0x80) : 0;
    if (n < 126) {
        out.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
    } else if (n <= 0xffff) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
    }
    if (masked) out.append(reinterpret_cast<const char*>(mask_key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(masked ? static_cast<char>(payload[i] ^ mask_key[i & 3]) : payload[i]);
    return out;
}

std::uint16_t server_frame::close_code() const {
    if (payload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
}

std::string server_frame::close_reason() const { return payload.size() > 2 ? payload.substr(2) : std::string(); }

raw_ws_client::raw_ws_client(unsigned short port, const std::string& target, const std::string& extra_bytes,
                             int rcvbuf, const std::string& extra_headers)
    : conn_(port, rcvbuf) {
    std::string req = "GET " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: " +
                      std::string(sample_ws_key) + "\r\nSec-WebSocket-Version: 13\r\n" + extra_headers + "\r\n" + extra_bytes;
    if (!conn_.connected() || !conn_.send(req)) {
        ADD_FAILURE() << "cannot send the upgrade request";
        return;
    }
    std::size_t head_size = 0;
    std::optional<http_response> r;
    conn_.read_until([&](const std::string& d) { return (r = parse_head(d, head_size)).has_value(); }, 5s);
    if (!r) {
        ADD_FAILURE() << "no response head for the upgrade to " << target << "; got: " << conn_.data();
        return;
    }
    if (r->status != 101) {
        auto full = read_response(conn_, 5s);
        head_ = full ? *full : *r;
        return;
    }
    head_ = *r;
    conn_.data().erase(0, head_size);
}

std::optional<server_frame> raw_ws_client::decode() {
    const std::string& d = conn_.data();
    if (d.size() < 2) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(d.data());
    server_frame f;
    f.fin = p[0] & 0x80;
    f.opcode = p[0] & 0x0f;
    f.masked = p[1] & 0x80;
    std::uint64_t len = p[1] & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
        if (d.size() < 4) return std::nullopt;
        len = (std::uint64_t{p[2]} << 8) | p[3];
        head = 4;
    } else if (len == 127) {
        if (d.size() < 10) return std::nullopt;
        len = 0;
        for (int k = 0; k < 8; ++k) len = (len << 8) | p[2 + k];
        head = 10;
    }
    if (f.masked) head += 4;  // servers must not mask; kept visible through f.masked
    if (d.size() < head + len) return std::nullopt;
    f.payload = d.substr(head, len);
    if (f.masked)
        for (std::size_t k = 0; k < f.payload.size(); ++k) f.payload[k] = static_cast<char>(f.payload[k] ^ p[head - 4 + (k & 3)]);
    conn_.data().erase(0, head + len);
    frames_.push_back(f);
    return f;
}

std::optional<server_frame> raw_ws_client::next_frame(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
        if (auto f = decode()) return f;
        if (conn_.closed() || clock_type::now() >= deadline) return std::nullopt;
        conn_.read_some(std::min(left(deadline), std::chrono::milliseconds(100)));
    }
}

std::optional<server_frame> raw_ws_client::wait_close(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (auto f = next_frame(left(deadline)))
        if (f->opcode == ws_op::close) return f;
    return std::nullopt;
}

std::optional<std::string> raw_ws_client::next_text(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (auto f = next_frame(left(deadline)))
        if (f->opcode == ws_op::text) return f->payload;
    return std::nullopt;
}

}  // namespace herald::test
