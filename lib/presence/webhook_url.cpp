// Parsing and validation of a webhook endpoint URL; strict, since it comes from configuration
// and ends up in a request line and a Host header. Pure, any thread.
#include "lib/presence/webhook_url.hpp"

#include <cctype>

#include "lib/util/ascii.hpp"

namespace herald::presence {

namespace {

model::error refuse(const std::string& text, const std::string& why, const std::string& hint) {
    std::string shown = text.size() > 200 ? text.substr(0, 200) + "..." : text;
    for (auto& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return model::error{"invalid_webhook_url", 400, "webhook URL '" + shown + "' " + why, hint};
}

const char* const form_hint = "use http://HOST[:PORT][/PATH], e.g. http://127.0.0.1:3000/herald-hooks";

bool host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'; }

bool ipv6_char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }

// Path and query: visible ASCII except the characters a URL must escape.
bool target_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    switch (c) {
        case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}': case '#':
            return false;
        default:
            return true;
    }
}

}  // namespace

std::string webhook_url::host_header() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + port;
}

model::result<webhook_url> parse_webhook_url(const std::string& text) {
    if (text.empty()) return refuse(text, "is empty", form_hint);
    if (text.size() > 2048) return refuse(text, "is longer than 2048 bytes", form_hint);
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return refuse(text, "contains a space, a control character or a non-ASCII byte",
                          "percent-encode the path; " + std::string(form_hint));
    }
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos) return refuse(text, "has no http:// scheme", form_hint);
    const std::string scheme = util::ascii_lowered(text.substr(0, scheme_end));
    if (scheme == "https")
        return refuse(text, "uses https, which herald's webhooks do not speak",
                      "the app is expected on loopback: use http://; for TLS put a proxy (e.g. nginx) in front of "
                      "a remote app and point the URL at the proxy");
    if (scheme != "http") return refuse(text, "uses the scheme '" + scheme + "'; only http:// is supported", form_hint);

    std::string rest = text.substr(scheme_end + 3);
    const auto target_start = rest.find_first_of("/?#");
    std::string authority = rest.substr(0, target_start);
    std::string target = target_start == std::string::npos ? "" : rest.substr(target_start);
    if (authority.find('@') != std::string::npos)
        return refuse(text, "has user info (user@ or user:password@)", "send credentials with webhooks.secret instead");
    if (authority.empty()) return refuse(text, "has no host", form_hint);

    webhook_url u;
    u.text = text;
    std::string port_text;
    bool has_port = false;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string::npos) return refuse(text, "has an unclosed '[' in its host", form_hint);
        u.host = authority.substr(1, close - 1);
        if (u.host.empty() || u.host.find(':') == std::string::npos)
            return refuse(text, "has an invalid IPv6 address", "write it as http://[::1]:3000/path");
        for (char c : u.host)
            if (!ipv6_char(c)) return refuse(text, "has an invalid IPv6 address", "write it as http://[::1]:3000/path");
        const std::string after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return refuse(text, "has text after its IPv6 address", form_hint);
            has_port = true;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        u.host = authority.substr(0, colon);
        if (colon != std::string::npos) {
            has_port = true;
            port_text = authority.substr(colon + 1);
        }
        if (u.host.empty()) return refuse(text, "has no host", form_hint);
        for (char c : u.host)
            if (!host_char(c))
                return refuse(text, "has an invalid character in its host", "a host is a name or an IP address; " +
                                                                                 std::string(form_hint));
        if (u.host.front() == '.' || u.host.front() == '-' || u.host.find("..") != std::string::npos)
            return refuse(text, "has an invalid host name", form_hint);
    }
    if (has_port) {
        bool digits = !port_text.empty() && port_text.size() <= 5;
        for (char c : port_text) digits = digits && c >= '0' && c <= '9';
        if (!digits || std::stoul(port_text) == 0 || std::stoul(port_text) > 65535)
            return refuse(text, "has an invalid port", "use a port from 1 to 65535");
        u.port = std::to_string(std::stoul(port_text));
    } else {
        u.port = "80";
    }

    if (!target.empty() && target.front() == '?') target = "/" + target;
    if (target.empty()) target = "/";
    if (target.find('#') != std::string::npos)
        return refuse(text, "has a fragment (#...)", "remove it: a fragment is never sent to a server");
    for (char c : target)
        if (!target_char(c))
            return refuse(text, "has a character in its path that must be percent-encoded", form_hint);
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] == '%' && (i + 2 >= target.size() || !std::isxdigit(static_cast<unsigned char>(target[i + 1])) ||
                                 !std::isxdigit(static_cast<unsigned char>(target[i + 2]))))
            return refuse(text, "has a '%' that is not a percent-escape", "write '%' as %25");
    u.target = std::move(target);
    return u;
}

}  // namespace herald::presence
