// Cursor encoding: FNV-1a fingerprints and dotted decimal offsets.
#include "lib/protocol/cursor.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace herald::protocol {

namespace {
std::uint32_t fnv1a(std::uint32_t h, std::string_view s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    // Separator so ("ab","c") and ("a","bc") differ.
    h ^= 0xff;
    h *= 16777619u;
    return h;
}
constexpr std::uint32_t fnv_basis = 2166136261u;
}  // namespace

std::uint16_t names_fingerprint(const std::vector<std::string>& channels) {
    std::uint32_t h = fnv_basis;
    for (const auto& c : channels) h = fnv1a(h, c);
    return static_cast<std::uint16_t>((h >> 16) ^ (h & 0xffff));
}

std::uint32_t epochs_fingerprint(const std::vector<std::string>& epochs) {
    std::uint32_t h = fnv_basis;
    for (const auto& e : epochs) h = fnv1a(h, e);
    return h;
}

std::string encode_cursor(const cursor& c) {
    char head[16];
    std::snprintf(head, sizeof head, "%04x%08x", static_cast<unsigned>(c.names_fp), static_cast<unsigned>(c.epochs_fp));
    std::string out(head);
    for (auto off : c.offsets) out.append(".").append(std::to_string(off));
    return out;
}

std::optional<cursor> parse_cursor(std::string_view text) {
    if (text.size() < 14 || text.size() > 2048 || text[12] != '.') return std::nullopt;
    auto hex = [](std::string_view s, auto& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
        return ec == std::errc() && p == s.data() + s.size();
    };
    cursor c;
    for (char ch : text.substr(0, 12))
        if (!std::isxdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    if (!hex(text.substr(0, 4), c.names_fp) || !hex(text.substr(4, 8), c.epochs_fp)) return std::nullopt;
    std::string_view rest = text.substr(13);
    for (;;) {
        auto dot = rest.find('.');
        auto part = rest.substr(0, dot);
        if (part.empty() || part.size() > 20) return std::nullopt;  // from_chars rejects overflow
        std::uint64_t off = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), off, 10);
        if (ec != std::errc() || p != part.data() + part.size()) return std::nullopt;
        c.offsets.push_back(off);
        if (dot == std::string_view::npos) break;
        rest = rest.substr(dot + 1);
    }
    return c;
}

std::string single_channel_cursor_prefix(const std::string& channel, const std::string& epoch) {
    cursor c;
    c.names_fp = names_fingerprint({channel});
    c.epochs_fp = epochs_fingerprint({epoch});
    return encode_cursor(c) + ".";
}

}  // namespace herald::protocol
