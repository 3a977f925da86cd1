// The app's webhook endpoint, from `webhooks.url`: http://HOST[:PORT][/PATH[?QUERY]] only.
// https is refused (the app is on loopback; for TLS put a proxy in front), as are user info,
// fragments, spaces, control and non-ASCII bytes, and ports outside 1-65535. Pure, any thread.
#pragma once

#include <string>

#include "lib/model/error.hpp"

namespace herald::presence {

struct webhook_url {
    std::string text;    // as configured
    std::string host;    // a name or an IPv4 address; an IPv6 address without its brackets
    std::string port;    // digits, "80" when absent
    std::string target;  // path and query, "/" when absent
    std::string host_header() const;  // host:port, IPv6 in brackets
};

// The endpoint, or an invalid_webhook_url error naming what is wrong.
model::result<webhook_url> parse_webhook_url(const std::string& text);

}  // namespace herald::presence
