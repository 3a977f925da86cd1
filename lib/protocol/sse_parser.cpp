// SSE parser: line splitting on CR/LF/CRLF across chunk boundaries, field dispatch per the spec.
#include "lib/protocol/sse_parser.hpp"

#include <charconv>

namespace herald::protocol {

std::vector<sse_message> sse_parser::feed(std::string_view bytes) {
    std::vector<sse_message> out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        char c = bytes[i];
        if (skip_lf_) {
            skip_lf_ = false;
            if (c == '\n') continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\r') skip_lf_ = true;
            std::string l;
            l.swap(pending_);
            if (!started_) {
                started_ = true;
                if (l.rfind("\xEF\xBB\xBF", 0) == 0) l.erase(0, 3);
            }
            line(l, out);
        } else {
            pending_.push_back(c);
        }
    }
    return out;
}

void sse_parser::line(std::string_view l, std::vector<sse_message>& out) {
    if (l.empty()) {
        last_id_ = id_buffer_;
        if (has_data_) {
            sse_message m;
            m.id = last_id_;
            m.event = event_.empty() ? "message" : event_;
            m.data = std::move(data_);
            if (!m.data.empty() && m.data.back() == '\n') m.data.pop_back();
            out.push_back(std::move(m));
        }
        data_.clear();
        event_.clear();
        has_data_ = false;
        return;
    }
    if (l[0] == ':') {
        ++comments_;
        return;
    }
    std::string_view field = l, value;
    if (auto colon = l.find(':'); colon != std::string_view::npos) {
        field = l.substr(0, colon);
        value = l.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        data_.append(value).push_back('\n');
        has_data_ = true;
    } else if (field == "event") {
        event_ = std::string(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) id_buffer_ = std::string(value);
    } else if (field == "retry") {
        unsigned ms = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec == std::errc() && p == value.data() + value.size()) retry_ = ms;
    }
}

}  // namespace herald::protocol
