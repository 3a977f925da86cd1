// Fuzzes the Server-Sent Events parser (lib/protocol/sse_parser). The first input byte picks a
// chunk size; feeding the rest in those chunks must give exactly what feeding it whole gives
// (events, last id, retry, comments). Each event, encoded again by lib/protocol/sse_encoder,
// must parse back to the same event.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "lib/protocol/sse_encoder.hpp"
#include "lib/protocol/sse_parser.hpp"

using namespace herald::protocol;

namespace {

struct outcome {
    std::vector<sse_message> events;
    std::string last_id;
    std::optional<unsigned> retry;
    std::size_t comments = 0;
};

outcome feed(std::string_view bytes, std::size_t step) {
    sse_parser parser;
    outcome r;
    while (!bytes.empty()) {
        auto chunk = bytes.substr(0, step);
        bytes.remove_prefix(chunk.size());
        for (auto& m : parser.feed(chunk)) r.events.push_back(std::move(m));
    }
    r.last_id = parser.last_event_id();
    r.retry = parser.retry_ms();
    r.comments = parser.comments_seen();
    return r;
}

bool same(const sse_message& a, const sse_message& b) { return a.id == b.id && a.event == b.event && a.data == b.data; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = data[0] + 1;
    const auto bytes = herald::fuzz::as_text(data + 1, size - 1);

    const outcome whole = feed(bytes, bytes.size() + 1);
    const outcome chunked = feed(bytes, step);
    FUZZ_CHECK(whole.events.size() == chunked.events.size(), "chunking changed the number of events");
    for (std::size_t i = 0; i < whole.events.size(); ++i)
        FUZZ_CHECK(same(whole.events[i], chunked.events[i]), "chunking changed an event");
    FUZZ_CHECK(whole.last_id == chunked.last_id, "chunking changed the last event id");
    FUZZ_CHECK(whole.retry == chunked.retry, "chunking changed retry");
    FUZZ_CHECK(whole.comments == chunked.comments, "chunking changed the comment count");

    for (const auto& m : whole.events) {
        FUZZ_CHECK(!m.event.empty(), "event type is empty (should default to message)");
        FUZZ_CHECK(m.id.find('\0') == std::string::npos, "an id with NUL was taken");
        FUZZ_CHECK(m.data.find('\r') == std::string::npos, "a CR survived in data");
        for (const auto& s : {m.event, m.id})
            FUZZ_CHECK(s.find_first_of("\r\n") == std::string::npos, "a line break in event or id");

        herald::model::event ev;
        ev.name = m.event == "message" ? "" : m.event;
        ev.data = m.data;
        ev.kind = herald::model::data_kind::text;
        sse_parser parser;
        auto again = parser.feed(sse_id_line(m.id) + sse_event_body(ev, false));
        FUZZ_CHECK(again.size() == 1 && same(again[0], m), "re-encoded event parsed differently");
        FUZZ_CHECK(parser.last_event_id() == m.id, "re-encoded id not taken");
    }
    return 0;
}
