// Duration parsing: a sequence of <digits><unit> parts, summed.
#include "lib/util/duration.hpp"

#include <limits>

namespace herald::util {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
    if (text.empty()) return std::nullopt;
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max() / 1000;
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::int64_t n = 0;
        std::size_t digits = 0;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
            if (n > max / 10) return std::nullopt;
            n = n * 10 + (text[i] - '0');
        }
        if (digits == 0) return std::nullopt;
        std::size_t u = i;
        while (i < text.size() && (text[i] < '0' || text[i] > '9')) ++i;
        const auto unit = text.substr(u, i - u);
        std::int64_t scale;
        if (unit == "ms")
            scale = 1;
        else if (unit == "s" || (unit.empty() && u == text.size() && total == 0))
            scale = 1000;
        else if (unit == "m")
            scale = 60 * 1000;
        else if (unit == "h")
            scale = 3600 * 1000;
        else if (unit == "d")
            scale = 24 * 3600 * 1000;
        else
            return std::nullopt;
        if (n > max / scale || n * scale > max - total) return std::nullopt;
        total += n * scale;
    }
    return total;
}

}  // namespace herald::util
