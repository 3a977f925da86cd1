// Redis URL parsing: scheme, optional credentials, host (name, IPv4 or [IPv6]), port, db number.
#include "lib/broker/redis_url.hpp"

#include "lib/util/url_mask.hpp"

#include <charconv>

namespace herald::broker {

namespace {

constexpr const char* expected_form = "expected redis://[:password@]host:port[/db]";


model::error bad(std::string_view url, const std::string& why) {
    return model::error{"invalid_broker_url", 400, "invalid broker URL '" + util::mask_url_credentials(url) + "': " + why,
                        "use redis://[:password@]host:port[/db] in --broker or HERALD_BROKER"};
}

bool parse_int(std::string_view s, int lo, int hi, int& out) {
    if (s.empty()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

}  // namespace

std::string redis_url::display() const {
    std::string out = "redis://";
    if (!password.empty()) out += user + ":***@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    out += ":" + std::to_string(port) + "/" + std::to_string(db);
    return out;
}

model::result<redis_url> parse_redis_url(std::string_view url) {
    if (url.starts_with("rediss://"))
        return bad(url, "TLS (rediss://) is not available in this build: its hiredis has no TLS support; "
                        "use redis:// over a trusted network or a TLS tunnel such as stunnel");
    if (!url.starts_with("redis://")) {
        if (url.starts_with("unix://") || url.starts_with("redis+unix://"))
            return bad(url, "Unix socket URLs are not supported; " + std::string(expected_form));
        return bad(url, expected_form);
    }
    std::string_view rest = url.substr(8);
    redis_url out;
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto cred = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = cred.find(':');
        if (colon == std::string_view::npos)
            return bad(url, "credentials must be ':password' or 'user:password' before '@'");
        out.user = std::string(cred.substr(0, colon));
        out.password = std::string(cred.substr(colon + 1));
        if (out.password.empty()) return bad(url, "the password before '@' is empty");
    }
    std::string_view hostport = rest;
    std::string_view path;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    if (hostport.find_first_of("?#") != std::string_view::npos || path.find_first_of("?#/") != std::string_view::npos)
        return bad(url, "query strings, fragments and nested paths are not supported; " + std::string(expected_form));
    std::string_view port_text;
    if (hostport.starts_with("[")) {
        auto close = hostport.find(']');
        if (close == std::string_view::npos) return bad(url, "unclosed '[' in the host");
        out.host = std::string(hostport.substr(1, close - 1));
        auto after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad(url, "expected ':port' after ']'");
            port_text = after.substr(1);
            if (port_text.empty()) return bad(url, "the port after ':' is empty");
        }
    } else {
        auto colon = hostport.find(':');
        out.host = std::string(hostport.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = hostport.substr(colon + 1);
            if (port_text.empty()) return bad(url, "the port after ':' is empty");
        }
    }
    if (out.host.empty()) return bad(url, "the host is empty; " + std::string(expected_form));
    if (out.host.find_first_of("[]") != std::string::npos)
        return bad(url, "'[' and ']' may only enclose an IPv6 address, as in redis://[::1]:6379");
    if (!port_text.empty() && !parse_int(port_text, 1, 65535, out.port))
        return bad(url, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    if (!path.empty() && !parse_int(path, 0, 1000000, out.db))
        return bad(url, "database '" + std::string(path) + "' is not a number (e.g. /0)");
    return out;
}

}  // namespace herald::broker
