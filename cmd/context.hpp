// What every subcommand gets: injected streams (so tests can capture output) and the
// server URL resolution shared by the client commands. Nothing here calls exit().
#pragma once

#include <iostream>
#include <string>

namespace herald::cmd {

struct context {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool out_is_tty = false;
};

// Exit codes, as documented in man/herald.1.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

inline constexpr const char* default_url = "http://127.0.0.1:8081";

}  // namespace herald::cmd
