// Splits a request target into a percent-decoded path and query parameters.
// Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::http {

struct request_target {
    std::string path;
    std::vector<std::pair<std::string, std::string>> query;

    // First value of `name`, if present.
    std::optional<std::string> param(std::string_view name) const;
    std::vector<std::string> params(std::string_view name) const;
};

// nullopt when a percent escape is malformed.
std::optional<request_target> parse_target(std::string_view target);
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

}  // namespace herald::http
