// Command-line reading shared by the bench tools: flags as `--name VALUE` or `--name=VALUE`,
// numbers checked against their ranges, `--help`/`-h` printing the tool's text. A usage error
// prints the tool's name and a hint, and exits with status 2. Single-threaded, at start-up.
#pragma once

#include <string>

namespace herald::bench {

// Prints "<tool>: <msg>" and the --help hint, exits 2.
[[noreturn]] void usage_error(const std::string& tool, const std::string& msg);

class arg_reader {
public:
    arg_reader(std::string tool, const char* usage, int argc, char** argv)
        : tool_(std::move(tool)), usage_(usage), argc_(argc), argv_(argv) {}

    // Moves to the next flag; false when there is none. Prints the usage and exits 0 on --help.
    bool next();
    const std::string& flag() const { return flag_; }
    // The flag's value: after `=`, or the next argument.
    std::string value();
    // `text` (by default the flag's value) as a number within [lo, hi].
    double number(double lo, double hi);
    double number(const std::string& text, double lo, double hi);
    [[noreturn]] void fail(const std::string& msg) const { usage_error(tool_, msg); }

private:
    std::string tool_;
    const char* usage_;
    int argc_;
    char** argv_;
    int i_ = 0;
    std::string flag_, inline_value_;
    bool has_inline_ = false;
};

}  // namespace herald::bench
