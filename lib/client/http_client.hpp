// Synchronous HTTP/1.1 client for the CLI and the tests: one request per call, with timeouts.
// Turns connection failures into a named error that says which URL and what to check.
// Blocking; use from a CLI or test thread, never from an I/O thread.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "lib/model/error.hpp"

namespace herald::client {

struct server_url {
    std::string host;
    std::string port;
    std::string text;  // as the user gave it, for messages
};

// Accepts "http://host:port", "host:port" and "http://host" (port 80); https is refused.
model::result<server_url> parse_url(const std::string& url);

struct http_reply {
    unsigned status = 0;
    std::string body;
    std::string content_type;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

model::result<http_reply> http_request(const server_url& url, const std::string& method, const std::string& target,
                                       const std::string& body = {}, const std::string& content_type = {},
                                       const header_list& headers = {},
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The error a reply carries ({"error":{...}} from herald), or a generic one for other bodies.
model::error reply_error(const http_reply& reply);

// Percent-encodes a query value.
std::string url_encode(const std::string& s);

}  // namespace herald::client
