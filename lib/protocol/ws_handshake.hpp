// The server side of the RFC 6455 opening handshake, without I/O: checks an upgrade request's
// headers and computes Sec-WebSocket-Accept (SHA-1 and base64 through OpenSSL). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::protocol {

struct ws_upgrade_headers {
    std::string_view method;
    unsigned version = 11;  // HTTP/1.1 as 11
    std::string_view upgrade;
    std::string_view connection;
    std::string_view key;
    std::string_view ws_version;
};

// nullopt when the request is a valid WebSocket upgrade; otherwise a 400 (426 for a wrong
// Sec-WebSocket-Version) naming what is missing.
std::optional<model::error> check_ws_upgrade(const ws_upgrade_headers& h);

// base64(SHA-1(key + the RFC 6455 GUID)).
std::string ws_accept_key(std::string_view client_key);

}  // namespace herald::protocol
