// The inspect API's query parameters: limit=, since=, prefix= and user= read from a request
// target into values, or into the invalid_parameter error to answer. Pure functions, no I/O;
// safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/http/request_target.hpp"
#include "lib/model/error.hpp"

namespace herald::http {

// A plain decimal number (digits only, no sign or space) that fits 64 bits; nullopt otherwise.
std::optional<std::uint64_t> parse_number(std::string_view s);

// limit=N: N from 1 to `max_limit`; `default_limit` when absent.
model::result<std::size_t> parse_limit(const request_target& t, std::size_t default_limit, std::size_t max_limit);

// since=OFFSET (events after it) or since=earliest (0: all of history); nullopt when absent
// (the caller then shows the newest events).
model::result<std::optional<std::uint64_t>> parse_since_offset(const request_target& t);

// prefix=: the start of channel names, itself a valid channel name; "" when absent or empty.
model::result<std::string> parse_prefix(const request_target& t);

// user=ID (a token's sub); nullopt when absent, an error when empty.
model::result<std::optional<std::string>> parse_user(const request_target& t);

}  // namespace herald::http
