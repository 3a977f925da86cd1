// ASCII text rules for protocol tokens (header names and values, media types, schemes, host
// names): case folding without the C locale, case-insensitive comparison, and trimming HTTP's
// optional whitespace (space and tab). One copy for every parser that needs them. Pure.
#pragma once

#include <string>
#include <string_view>

namespace herald::util {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

constexpr bool iends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

inline std::string ascii_lowered(std::string s) {
    for (auto& c : s) c = ascii_lower(c);
    return s;
}

// Without leading and trailing spaces and tabs (RFC 9110 OWS).
constexpr std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace herald::util
