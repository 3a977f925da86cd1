// Compact JSON check: a recursive-descent reader of the subset (no allocation, bounded depth and
// keys per object); any byte outside the subset answers false.
#include "lib/protocol/compact_json.hpp"

#include <array>
#include <cstddef>

namespace herald::protocol {

namespace {
constexpr std::size_t max_depth = compact_json_max_depth;
constexpr std::size_t max_keys = 16;

// Bytes a string may hold as they are: printable ASCII but the quote and the backslash (escapes,
// control and non-ASCII bytes are re-written by the full path).
constexpr std::array<bool, 256> plain_byte = [] {
    std::array<bool, 256> t{};
    for (int b = 0x20; b < 0x80; ++b) t[static_cast<std::size_t>(b)] = b != '"' && b != '\\';
    return t;
}();

class reader {
public:
    explicit reader(std::string_view t) : t_(t) {}

    bool document() {
        if (t_.empty() || (t_[0] != '{' && t_[0] != '[')) return false;
        return value(0) && i_ == t_.size();
    }

private:
    bool at(char c) const { return i_ < t_.size() && t_[i_] == c; }

    bool value(std::size_t depth) {
        if (i_ >= t_.size()) return false;
        switch (t_[i_]) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"': {
                std::string_view s;
                return string(s);
            }
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number();
        }
    }

    bool object(std::size_t depth) {
        if (depth > max_depth) return false;
        ++i_;
        if (at('}')) {
            ++i_;
            return true;
        }
        std::array<std::string_view, max_keys> keys;
        std::size_t count = 0;
        for (;;) {
            std::string_view key;
            if (!at('"') || !string(key) || !at(':')) return false;
            if (count == max_keys) return false;
            for (std::size_t k = 0; k < count; ++k)
                if (keys[k] == key) return false;  // a repeated key: the parse keeps one
            keys[count++] = key;
            ++i_;
            if (!value(depth)) return false;
            if (at('}')) {
                ++i_;
                return true;
            }
            if (!at(',')) return false;
            ++i_;
        }
    }

    bool array(std::size_t depth) {
        if (depth > max_depth) return false;
        ++i_;
        if (at(']')) {
            ++i_;
            return true;
        }
        for (;;) {
            if (!value(depth)) return false;
            if (at(']')) {
                ++i_;
                return true;
            }
            if (!at(',')) return false;
            ++i_;
        }
    }

    bool string(std::string_view& out) {
        const char* p = t_.data() + ++i_;
        const char* const end = t_.data() + t_.size();
        const char* const start = p;
        while (p != end && plain_byte[static_cast<unsigned char>(*p)]) ++p;
        if (p == end || *p != '"') return false;  // unterminated, an escape, a control or non-ASCII byte
        out = std::string_view(start, static_cast<std::size_t>(p - start));
        i_ = static_cast<std::size_t>(p - t_.data()) + 1;
        return true;
    }

    bool number() {
        if (at('-')) {
            ++i_;
            if (at('0')) return false;  // -0 is written 0
        }
        const std::size_t start = i_;
        if (at('0')) {
            ++i_;
        } else {
            while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
        }
        const std::size_t digits = i_ - start;
        if (digits == 0 || digits > 18) return false;  // longer ones may be re-written as floats
        return !(at('.') || at('e') || at('E') || (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9'));
    }

    bool literal(std::string_view word) {
        if (t_.substr(i_, word.size()) != word) return false;
        i_ += word.size();
        return true;
    }

    std::string_view t_;
    std::size_t i_ = 0;
};
}  // namespace

bool already_compact_json(std::string_view text) { return reader(text).document(); }

}  // namespace herald::protocol
