// Server-Sent Events encoding (WHATWG HTML §9.2): pure functions from events to wire bytes.
// Payload lines split on CR, LF and CRLF, one `data:` line each. No I/O, no state.
#pragma once

#include <string>
#include <string_view>

#include "lib/model/event.hpp"

namespace herald::protocol {

// The `event:` + `data:` lines and the terminating blank line; no `id:` line.
// envelope=true wraps the payload as {"channel","offset","epoch","event","data"}; so does an event
// of a keyed channel always (it carries "key", and "deleted" instead of "data" for a deletion), so
// a plain EventSource page reads the key with the JSON.parse it needs anyway.
std::string sse_event_body(const model::event& ev, bool envelope);

// "id: <cursor>\n"
std::string sse_id_line(std::string_view cursor);

// A named event with a JSON payload (used for herald.reset and herald.disconnect).
std::string sse_control_event(std::string_view name, std::string_view json_data);

// Appends one `data:` line per line of `payload` to `out`.
void append_data_lines(std::string& out, std::string_view payload);

std::string sse_retry(unsigned ms);
std::string sse_comment(std::string_view text);

}  // namespace herald::protocol
