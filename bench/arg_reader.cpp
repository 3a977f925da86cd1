// arg_reader: one flag at a time, inline or separate values, range-checked numbers.
#include "bench/arg_reader.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace herald::bench {

void usage_error(const std::string& tool, const std::string& msg) {
    std::cerr << tool << ": " << msg << "\nTry '" << tool << " --help'.\n";
    std::exit(2);
}

bool arg_reader::next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    if (flag_ == "--help" || flag_ == "-h") {
        std::cout << usage_;
        std::exit(0);
    }
    const auto eq = flag_.find('=');
    has_inline_ = flag_.rfind("--", 0) == 0 && eq != std::string::npos;
    if (has_inline_) {
        inline_value_ = flag_.substr(eq + 1);
        flag_.resize(eq);
    }
    return true;
}

std::string arg_reader::value() {
    if (has_inline_) return inline_value_;
    if (i_ + 1 >= argc_) fail(flag_ + " needs a value");
    return argv_[++i_];
}

double arg_reader::number(double lo, double hi) { return number(value(), lo, hi); }

double arg_reader::number(const std::string& text, double lo, double hi) {
    double d = 0;
    try {
        std::size_t used = 0;
        d = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
        fail(flag_ + ": '" + text + "' is not a number");
    }
    if (d < lo || d > hi)
        fail(flag_ + ": " + text + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return d;
}

}  // namespace herald::bench
