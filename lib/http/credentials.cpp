// Header parsing for credentials; tolerant of whitespace, strict about names.
#include "lib/http/credentials.hpp"

#include "lib/util/ascii.hpp"

namespace herald::http {

std::optional<std::string> bearer_token(std::string_view authorization) {
    auto a = util::trim_ows(authorization);
    constexpr std::string_view scheme = "bearer";
    if (a.size() <= scheme.size() || !util::istarts_with(a, scheme) ||
        (a[scheme.size()] != ' ' && a[scheme.size()] != '\t'))
        return std::nullopt;
    auto v = util::trim_ows(a.substr(scheme.size()));
    if (v.empty()) return std::nullopt;
    return std::string(v);
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        auto pair = util::trim_ows(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos || util::trim_ows(pair.substr(0, eq)) != name) continue;
        auto v = util::trim_ows(pair.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return std::string(v);
    }
    return std::nullopt;
}

std::optional<presented_token> subscriber_token(const token_sources& s) {
    if (s.query) return presented_token{*s.query, false};
    if (auto b = bearer_token(s.authorization)) return presented_token{std::move(*b), false};
    if (!s.cookie_name.empty())
        if (auto c = cookie_value(s.cookie_header, s.cookie_name)) return presented_token{std::move(*c), true};
    return std::nullopt;
}

}  // namespace herald::http
