// Incremental Server-Sent Events parser (WHATWG HTML §9.2.6), for `herald tail` and tests.
// Feed it bytes as they arrive; it returns complete events. Single-threaded, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {

struct sse_message {
    std::string id;     // the last event ID in force when this event was dispatched
    std::string event;  // "message" when no event: field was given
    std::string data;
};

class sse_parser {
public:
    // Parses as much of `bytes` as forms complete lines; returns the events completed.
    std::vector<sse_message> feed(std::string_view bytes);
    // The last event ID as EventSource has it: set when a block ends (blank line), so an id
    // whose block was cut off by a dropped connection is never taken as received.
    const std::string& last_event_id() const { return last_id_; }
    std::optional<unsigned> retry_ms() const { return retry_; }
    std::size_t comments_seen() const { return comments_; }

private:
    void line(std::string_view l, std::vector<sse_message>& out);

    std::string pending_;  // an incomplete line
    bool skip_lf_ = false;  // the previous chunk ended with CR
    bool started_ = false;
    std::string data_, event_, id_buffer_, last_id_;
    bool has_data_ = false;
    std::optional<unsigned> retry_;
    std::size_t comments_ = 0;
};

}  // namespace herald::protocol
