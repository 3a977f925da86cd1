// Fuzzes request targets and credentials (lib/http/request_target parse_target and
// percent_decode, lib/http/credentials bearer_token and cookie_value). The input
// is up to four '\n'-separated fields: target, Authorization, Cookie header, cookie name.
// Parsed targets, percent-encoded again, must parse to the same path and query; decoding never
// grows; bearer and cookie values must come back from the headers they would be sent in.
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "lib/http/credentials.hpp"
#include "lib/http/request_target.hpp"

using namespace herald::http;

namespace {

std::string encode(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::vector<std::string_view> fields(std::string_view s, std::size_t n) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < n) {
        auto nl = s.find('\n');
        if (nl == std::string_view::npos) break;
        out.push_back(s.substr(0, nl));
        s.remove_prefix(nl + 1);
    }
    out.push_back(s);
    out.resize(n);
    return out;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

void check_target(std::string_view target) {
    const auto t = parse_target(target);
    const auto q = target.find('?');
    const auto path = percent_decode(target.substr(0, q), false);
    if (!t) return;
    FUZZ_CHECK(path && *path == t->path, "path differs from percent_decode of it");
    FUZZ_CHECK(t->path.size() <= target.size(), "decoding grew the path");

    std::string again = encode(t->path);
    for (std::size_t i = 0; i < t->query.size(); ++i)
        again += (i ? "&" : "?") + encode(t->query[i].first) + "=" + encode(t->query[i].second);
    const auto back = parse_target(again);
    FUZZ_CHECK(back && back->path == t->path, "re-encoded path changed");
    FUZZ_CHECK(back->query == t->query, "re-encoded query changed");
    for (const auto& [k, v] : t->query) FUZZ_CHECK(t->param(k).has_value() && !t->params(k).empty(), "param lost");
}

void check_credentials(std::string_view authorization, std::string_view cookies, std::string_view name) {
    if (auto b = bearer_token(authorization)) {
        FUZZ_CHECK(!b->empty() && !blank(b->front()) && !blank(b->back()), "bearer value not trimmed");
        FUZZ_CHECK(bearer_token("Bearer " + *b) == b, "bearer value does not come back");
    }
    const auto c = cookie_value(cookies, name);
    if (c) FUZZ_CHECK(c->find(';') == std::string::npos, "a cookie value holds ';'");
    const bool plain_name = name.find_first_of("=;") == std::string_view::npos &&
                            (name.empty() || (!blank(name.front()) && !blank(name.back())));
    if (c && plain_name)
        FUZZ_CHECK(cookie_value(std::string(name) + "=\"" + *c + "\"", name) == c, "cookie value does not come back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = herald::fuzz::as_text(data, size);
    const auto f = fields(text, 4);
    check_target(f[0]);
    for (bool plus : {false, true}) {
        auto d = percent_decode(f[0], plus);
        if (d) FUZZ_CHECK(d->size() <= f[0].size(), "decoding grew the text");
        if (d) FUZZ_CHECK(percent_decode(encode(*d), plus) == d, "decode → encode → decode changed the text");
    }
    check_credentials(f[1], f[2], f[3]);
    return 0;
}
