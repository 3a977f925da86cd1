// Origin and Host checks as plain string rules; see browser_rules.hpp for the policy.
#include "lib/auth/browser_rules.hpp"

#include <arpa/inet.h>

#include "lib/util/ascii.hpp"

namespace herald::auth {

namespace {
// Dotted-quad as inet_pton(AF_INET) reads it: four decimal octets of at most 255, no leading zero.
bool ipv4_literal(std::string_view s) {
    int octets = 0, value = 0, digits = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            if (digits > 0 && value == 0) return false;
            value = value * 10 + (c - '0');
            if (value > 255) return false;
            ++digits;
        } else if (c == '.') {
            if (digits == 0 || ++octets == 4) return false;
            value = digits = 0;
        } else {
            return false;
        }
    }
    return digits > 0 && octets == 3;
}

bool ipv6_literal(const std::string& s) {
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 5) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}
}  // namespace

bool origin_listed(std::string_view origin, const std::vector<std::string>& allowed) {
    if (origin.empty()) return false;
    for (const auto& a : allowed)
        if (util::iequals(a, origin)) return true;
    return false;
}

cors_grant cors_for(std::string_view origin, const std::vector<std::string>& allowed) {
    if (origin.empty()) return cors_grant::none;
    if (allowed.empty()) return cors_grant::any;
    return origin_listed(origin, allowed) ? cors_grant::credentialed : cors_grant::none;
}

std::string allow_origin_value(std::string_view origin, const std::vector<std::string>& allowed) {
    switch (cors_for(origin, allowed)) {
        case cors_grant::any:
            return "*";
        case cors_grant::credentialed:
            return std::string(origin);
        case cors_grant::none:
            break;
    }
    return {};
}

bool browser_cross_origin(std::string_view origin, std::string_view sec_fetch_site) {
    return !origin.empty() || util::iequals(sec_fetch_site, "cross-site") || util::iequals(sec_fetch_site, "same-site");
}

bool internal_host_allowed(std::string_view host, const std::vector<std::string>& names) {
    if (host.empty()) return false;
    std::string_view name = host;
    if (host.front() == '[') {  // [v6]:port
        auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        auto rest = host.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !all_digits(rest.substr(1)))) return false;
        return ipv6_literal(std::string(host.substr(1, close - 1)));
    }
    if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
        if (!all_digits(host.substr(colon + 1))) return false;
        name = host.substr(0, colon);
    }
    if (name.empty()) return false;
    if (name.back() == '.') name.remove_suffix(1);  // the fully qualified spelling "localhost."
    if (util::iequals(name, "localhost") || util::iends_with(name, ".localhost")) return true;
    if (ipv4_literal(name)) return true;
    for (const auto& n : names)
        if (util::iequals(n, name)) return true;
    return false;
}

}  // namespace herald::auth
