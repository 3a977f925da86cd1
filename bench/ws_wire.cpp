// ws_wire: RFC 6455 client handshake (key, accept check) and framing (server frame parser,
// masked client frames) for the benchmark's WebSocket subscribers.
#include "bench/ws_wire.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <random>
#include <stdexcept>

namespace herald::bench {

namespace {

std::string base64(const unsigned char* p, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, int(n));
    out.resize(std::size_t(len));
    return out;
}

void random_bytes(unsigned char* p, std::size_t n) {
    if (RAND_bytes(p, int(n)) == 1) return;
    static thread_local std::mt19937 gen{std::random_device{}()};  // OpenSSL's RNG failed: still random enough here
    for (std::size_t k = 0; k < n; ++k) p[k] = static_cast<unsigned char>(gen());
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The value of header `name` (lower case) in `head`, if present.
std::optional<std::string_view> header(std::string_view head, std::string_view name) {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos) {
        std::size_t start = pos + 2;
        std::size_t end = head.find("\r\n", start);
        std::string_view line =
            head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        auto colon = line.find(':');
        if (colon != std::string_view::npos && lower(trim(line.substr(0, colon))) == name)
            return trim(line.substr(colon + 1));
        pos = end;
    }
    return std::nullopt;
}

}  // namespace

std::string make_ws_key() {
    unsigned char raw[16];
    random_bytes(raw, sizeof raw);
    return base64(raw, sizeof raw);
}

std::string ws_accept_for(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(key);
    input.append(guid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    return base64(digest, sizeof digest);
}

std::string ws_upgrade_request(std::string_view target, std::string_view key) {
    std::string r = "GET ";
    r.append(target)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ")
        .append(key)
        .append("\r\nSec-WebSocket-Version: 13\r\nUser-Agent: fanout_bench\r\n\r\n");
    return r;
}

std::optional<std::string> check_ws_upgrade_response(std::string_view head, std::string_view expected_accept) {
    if (head.size() < 12 || head.substr(0, 9) != "HTTP/1.1 ") return std::string("not an HTTP/1.1 response");
    if (head.substr(9, 3) != "101") return "status " + std::string(head.substr(9, 3));
    auto upgrade = header(head, "upgrade");
    if (!upgrade || lower(*upgrade) != "websocket") return std::string("101 without Upgrade: websocket");
    auto connection = header(head, "connection");
    if (!connection || lower(*connection).find("upgrade") == std::string::npos)
        return std::string("101 without Connection: Upgrade");
    auto accept = header(head, "sec-websocket-accept");
    if (!accept) return std::string("101 without Sec-WebSocket-Accept");
    if (*accept != expected_accept) return std::string("wrong Sec-WebSocket-Accept");
    return std::nullopt;
}

ws_parse_result parse_ws_frame(std::string_view in, ws_frame_view& f, std::size_t& used, std::string& error,
                               std::size_t max_payload) {
    if (in.size() < 2) return ws_parse_result::need_more;
    auto b0 = static_cast<unsigned char>(in[0]), b1 = static_cast<unsigned char>(in[1]);
    if (b0 & 0x70) {
        error = "reserved bits set";
        return ws_parse_result::error;
    }
    if (b1 & 0x80) {
        error = "masked server frame";
        return ws_parse_result::error;
    }
    std::uint64_t len = b1 & 0x7f;
    std::size_t header = 2;
    if (len == 126) {
        if (in.size() < 4) return ws_parse_result::need_more;
        len = (std::uint64_t(static_cast<unsigned char>(in[2])) << 8) | static_cast<unsigned char>(in[3]);
        header = 4;
    } else if (len == 127) {
        if (in.size() < 10) return ws_parse_result::need_more;
        len = 0;
        for (int k = 0; k < 8; ++k) len = (len << 8) | static_cast<unsigned char>(in[2 + k]);
        header = 10;
    }
    if (len > max_payload) {
        error = "frame of " + std::to_string(len) + " bytes";
        return ws_parse_result::error;
    }
    if (in.size() < header + len) return ws_parse_result::need_more;
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0f;
    f.payload = in.substr(header, std::size_t(len));
    used = header + std::size_t(len);
    return ws_parse_result::frame;
}

std::string masked_client_frame(std::uint8_t opcode, std::string_view payload) {
    std::string out;
    out.push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xffff) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int k = 7; k >= 0; --k)
            out.push_back(static_cast<char>((std::uint64_t(payload.size()) >> (8 * k)) & 0xff));
    }
    unsigned char mask[4];
    random_bytes(mask, sizeof mask);
    out.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t k = 0; k < payload.size(); ++k) out.push_back(static_cast<char>(payload[k] ^ char(mask[k % 4])));
    return out;
}

}  // namespace herald::bench
