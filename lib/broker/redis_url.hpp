// Redis broker URLs: `redis://[[user]:password@]host[:port][/db]` parsed into their parts.
// `rediss://` is refused with a clear error: this build's hiredis (Debian's 0.14) has no TLS.
// Pure functions, no I/O; the password never appears in `display()` or in error messages.
#pragma once

#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::broker {

struct redis_url {
    std::string host;
    int port = 6379;
    std::string user;      // empty: AUTH with the password only (or no AUTH at all)
    std::string password;  // empty: no AUTH
    int db = 0;

    // The URL with the password masked, for logs and error messages: redis://:***@host:port/db.
    std::string display() const;
};

// The parsed URL, or an `invalid_broker_url` error (400) naming the URL, password masked.
model::result<redis_url> parse_redis_url(std::string_view url);

}  // namespace herald::broker
