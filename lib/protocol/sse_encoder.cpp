// SSE encoder: event → `event:`/`data:` block; the cursor line is added by the caller.
#include "lib/protocol/sse_encoder.hpp"

#include "lib/protocol/json_codec.hpp"

namespace herald::protocol {

void append_data_lines(std::string& out, std::string_view payload) {
    std::size_t start = 0;
    for (;;) {
        std::size_t end = payload.find_first_of("\r\n", start);
        out.append("data: ");
        if (end == std::string_view::npos) {
            out.append(payload.substr(start));
            out.push_back('\n');
            return;
        }
        out.append(payload.substr(start, end - start));
        out.push_back('\n');
        start = end + 1;
        if (payload[end] == '\r' && start < payload.size() && payload[start] == '\n') ++start;
    }
}

std::string sse_event_body(const model::event& ev, bool envelope) {
    std::string out;
    out.reserve(ev.data.size() + ev.name.size() + 32 + (envelope ? ev.channel.size() + 64 : 0));
    if (!ev.name.empty()) {
        out.append("event: ");
        // Event names come validated from the API; strip line breaks defensively.
        for (char c : ev.name) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
        out.push_back('\n');
    }
    if (envelope || !ev.key.empty())  // a keyed channel's events name their key: always the envelope
        append_data_lines(out, event_envelope_json(ev));
    else
        append_data_lines(out, ev.data);
    out.push_back('\n');
    return out;
}

std::string sse_id_line(std::string_view cursor) {
    std::string out;
    out.reserve(cursor.size() + 5);
    out.append("id: ").append(cursor).push_back('\n');
    return out;
}

std::string sse_control_event(std::string_view name, std::string_view json_data) {
    std::string out;
    out.append("event: ").append(name).push_back('\n');
    append_data_lines(out, json_data);
    out.push_back('\n');
    return out;
}

std::string sse_retry(unsigned ms) { return "retry: " + std::to_string(ms) + "\n\n"; }

std::string sse_comment(std::string_view text) {
    std::string out(":");
    if (!text.empty()) out.append(" ").append(text);
    out.append("\n\n");
    return out;
}

}  // namespace herald::protocol
