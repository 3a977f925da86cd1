// Escaping for text and JSON log lines; see log_text.hpp.
#include "lib/util/log_text.hpp"

#include "lib/util/utf8.hpp"

namespace herald::util {

namespace {
constexpr char hex[] = "0123456789abcdef";
}

void append_log_text(std::string& out, std::string_view s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\') {
            out.append("\\\\");
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            out.append("\\r");
        } else if (c == '\t') {
            out.append("\\t");
        } else if (c < 0x20 || c == 0x7f) {
            const char esc[] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
            out.append(esc, sizeof esc);
        } else {
            out.push_back(ch);
        }
    }
}

void append_log_json(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            auto n = utf8_sequence_length(s.substr(i));
            if (n == 0) {
                out.append("\\ufffd");
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
                    out.append(esc, sizeof esc);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
}

}  // namespace herald::util
