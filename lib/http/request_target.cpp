// Request target parsing: path, then &-separated key=value pairs, both percent-decoded.
#include "lib/http/request_target.hpp"

namespace herald::http {

std::optional<std::string> request_target::param(std::string_view name) const {
    for (const auto& [k, v] : query)
        if (k == name) return v;
    return std::nullopt;
}

std::vector<std::string> request_target::params(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : query)
        if (k == name) out.push_back(v);
    return out;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    auto next_special = [&](std::size_t from) -> std::size_t {
        for (std::size_t i = from; i < s.size(); ++i)
            if (s[i] == '%' || (plus_is_space && s[i] == '+')) return i;
        return std::string_view::npos;
    };
    auto i = next_special(0);
    if (i == std::string_view::npos) return std::string(s);  // the common case: nothing to decode
    std::string out;
    out.reserve(s.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::size_t from = 0;
    while (i != std::string_view::npos) {
        out.append(s.substr(from, i - from));
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            from = i + 3;
        } else {
            out.push_back(' ');
            from = i + 1;
        }
        i = next_special(from);
    }
    out.append(s.substr(from));
    return out;
}

std::optional<request_target> parse_target(std::string_view target) {
    request_target t;
    auto q = target.find('?');
    auto path = percent_decode(target.substr(0, q), false);
    if (!path) return std::nullopt;
    t.path = std::move(*path);
    if (q == std::string_view::npos) return t;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            auto k = percent_decode(pair.substr(0, eq), true);
            auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
            if (!k || !v) return std::nullopt;
            t.query.emplace_back(std::move(*k), std::move(*v));
        }
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return t;
}

}  // namespace herald::http
