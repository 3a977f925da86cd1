// Inspect API query parameters: each check names the bad value and says what to give instead.
// Pure; any thread.
#include "lib/http/query_params.hpp"

#include <charconv>

#include "lib/model/channel.hpp"

namespace herald::http {

using model::errors::invalid_parameter;

std::optional<std::uint64_t> parse_number(std::string_view s) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

model::result<std::size_t> parse_limit(const request_target& t, std::size_t default_limit, std::size_t max_limit) {
    auto v = t.param("limit");
    if (!v) return default_limit;
    auto n = parse_number(*v);
    if (!n || *n == 0 || *n > max_limit)
        return invalid_parameter("limit '" + *v + "' is not a number from 1 to " + std::to_string(max_limit),
                                 "give limit=N with N from 1 to " + std::to_string(max_limit));
    return static_cast<std::size_t>(*n);
}

model::result<std::optional<std::uint64_t>> parse_since_offset(const request_target& t) {
    auto s = t.param("since");
    if (!s) return std::optional<std::uint64_t>();
    auto since = *s == "earliest" ? std::optional<std::uint64_t>(0) : parse_number(*s);
    if (!since)
        return invalid_parameter("since '" + *s + "' is not an offset",
                                 "give since=OFFSET (events after it) or since=earliest (all of "
                                 "history); leave it out for the newest events");
    return since;
}

model::result<std::string> parse_prefix(const request_target& t) {
    auto prefix = t.param("prefix").value_or("");
    if (!prefix.empty())
        if (auto e = model::validate_channel(prefix))
            return invalid_parameter("prefix: " + e->message,
                                     "a prefix is the start of channel names (prefix=news. lists news.*); "
                                     "it takes no wildcards");
    return prefix;
}

model::result<std::optional<std::string>> parse_user(const request_target& t) {
    auto user = t.param("user");
    if (user && user->empty()) return invalid_parameter("user is empty", "give user=ID (a token's sub), or leave it out");
    return user;
}

}  // namespace herald::http
