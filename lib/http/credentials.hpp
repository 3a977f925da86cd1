// Credentials carried by an HTTP request: the Bearer value of Authorization (RFC 6750), a named
// cookie (RFC 6265), and the subscriber token, taken from ?token=, else Authorization: Bearer,
// else the configured cookie, so a browser's EventSource (which sends no headers) can use any.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::http {

// The credentials of "Bearer <value>" (scheme case-insensitive); nullopt for other schemes.
std::optional<std::string> bearer_token(std::string_view authorization);
// The value of cookie `name` in a Cookie header, or nullopt.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

struct token_sources {
    std::optional<std::string> query;  // ?token=
    std::string_view authorization;    // Authorization header
    std::string_view cookie_header;    // Cookie header
    std::string_view cookie_name;      // configured; empty: cookies are not read
};
struct presented_token {
    std::string value;
    bool from_cookie = false;  // ambient: the browser sends it by itself, so the Origin matters
};
std::optional<presented_token> subscriber_token(const token_sources& s);

}  // namespace herald::http
