// Invariant checks for the fuzz targets: a failed check prints what broke and aborts, which
// libFuzzer reports as a crash with the input saved. Unlike assert, never compiled out.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                              \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__, \
                         __LINE__, what, #cond);                                            \
            std::abort();                                                                   \
        }                                                                                   \
    } while (0)

namespace herald::fuzz {

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace herald::fuzz
