// WebSocket opening handshake checks and the accept key.
#include "lib/protocol/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "lib/util/ascii.hpp"

namespace herald::protocol {

namespace {

// True when the comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        auto comma = value.find(',');
        if (util::iequals(util::trim_ows(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

model::error refusal(const std::string& message, const std::string& hint) {
    return model::errors::websocket_upgrade_required(message, hint);
}

}  // namespace

std::optional<model::error> check_ws_upgrade(const ws_upgrade_headers& h) {
    const std::string hint = "connect with a WebSocket client (new WebSocket('ws://HOST/v1/ws?channel=NAME')), "
                             "or use /v1/sse for Server-Sent Events";
    if (h.method != "GET") return refusal("a WebSocket upgrade must be a GET, got " + std::string(h.method), hint);
    if (h.version < 11) return refusal("a WebSocket upgrade needs HTTP/1.1", hint);
    if (!has_token(h.upgrade, "websocket"))
        return refusal("this is not a WebSocket upgrade: the Upgrade header is '" + std::string(h.upgrade) + "'", hint);
    if (!has_token(h.connection, "upgrade"))
        return refusal("the Connection header must include 'Upgrade', got '" + std::string(h.connection) + "'", hint);
    if (h.ws_version != "13")
        return model::errors::unsupported_websocket_version(std::string(h.ws_version));
    // The key is 16 random bytes in base64: 24 characters ending in "==".
    auto b64 = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'; };
    bool well_formed = h.key.size() == 24 && h.key.substr(22) == "==";
    for (std::size_t i = 0; well_formed && i < 22; ++i) well_formed = b64(h.key[i]);
    // The last data character carries 2 bits of the 16th byte and 4 zero bits: A, Q, g or w.
    if (well_formed) well_formed = std::string_view("AQgw").find(h.key[21]) != std::string_view::npos;
    if (!well_formed)
        return refusal("Sec-WebSocket-Key '" + std::string(h.key) + "' is not 16 bytes in base64", hint);
    return std::nullopt;
}

std::string ws_accept_key(std::string_view client_key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(client_key);
    input.append(guid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

}  // namespace herald::protocol
