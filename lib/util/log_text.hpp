// Log line hygiene: text a client chose (paths, channel names, token headers, error messages that
// quote them) must not forge log lines or terminal escapes, and JSON log lines must stay valid
// UTF-8 JSON. Pure functions; no state.
#pragma once

#include <string>
#include <string_view>

namespace herald::util {

// Appends `s` for a text log line: control bytes (below 0x20, and 0x7f) become \n, \r, \t or
// \xNN, a backslash becomes \\; everything else is kept as it is.
void append_log_text(std::string& out, std::string_view s);

// Appends `s` as the inside of a JSON string: quotes, backslashes and control bytes escaped, and
// every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so the line always parses.
void append_log_json(std::string& out, std::string_view s);

}  // namespace herald::util
