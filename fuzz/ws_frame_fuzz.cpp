// Fuzzes the WebSocket client-frame parser (lib/protocol/ws_frame). The first input byte picks
// the chunk size (and whether to shrink between chunks); the rest is fed in those chunks and
// must give exactly what feeding it whole gives. Every message must obey RFC 6455 limits, and
// every message re-framed by ws_frame (then masked, as a client would) must parse back to itself.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "lib/protocol/ws_frame.hpp"

using namespace herald::protocol;

namespace {

constexpr std::size_t max_message = 4096;

struct outcome {
    std::vector<ws_message> messages;
    std::optional<ws_parse_error> error;
    bool mid_message = false;
};

outcome feed(std::string_view bytes, std::size_t step, bool shrink) {
    ws_parser parser(max_message);
    outcome r;
    while (!bytes.empty()) {
        auto chunk = bytes.substr(0, step);
        bytes.remove_prefix(chunk.size());
        r.error = parser.feed(chunk, r.messages);
        if (r.error) return r;
        if (shrink && !parser.mid_message()) parser.shrink();
    }
    r.mid_message = parser.mid_message();
    return r;
}

// A server frame from ws_frame turned into a client frame: mask bit set, key, masked payload.
std::string mask(const std::string& frame, const unsigned char key[4]) {
    const std::size_t len7 = static_cast<unsigned char>(frame[1]) & 0x7f;
    const std::size_t head = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    std::string out = frame.substr(0, head);
    out[1] = static_cast<char>(out[1] | 0x80);
    out.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t k = head; k < frame.size(); ++k)
        out.push_back(static_cast<char>(frame[k] ^ key[(k - head) & 3]));
    return out;
}

bool same(const ws_message& a, const ws_message& b) { return a.opcode == b.opcode && a.payload == b.payload; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = (data[0] & 0x7f) + 1;
    const bool shrink = data[0] & 0x80;
    const auto bytes = herald::fuzz::as_text(data + 1, size - 1);

    const outcome whole = feed(bytes, bytes.size() + 1, false);
    const outcome chunked = feed(bytes, step, shrink);
    FUZZ_CHECK(whole.messages.size() == chunked.messages.size(), "chunking changed the number of messages");
    for (std::size_t i = 0; i < whole.messages.size(); ++i)
        FUZZ_CHECK(same(whole.messages[i], chunked.messages[i]), "chunking changed a message");
    FUZZ_CHECK(whole.error.has_value() == chunked.error.has_value(), "chunking changed whether it failed");
    if (whole.error) {
        FUZZ_CHECK(whole.error->close_code == chunked.error->close_code, "chunking changed the close code");
        const auto code = whole.error->close_code;
        FUZZ_CHECK(code == 1002 || code == 1007 || code == 1009, "unexpected close code");
        FUZZ_CHECK(!whole.error->message.empty(), "error without a message");
    } else {
        FUZZ_CHECK(whole.mid_message == chunked.mid_message, "chunking changed mid_message");
    }

    const unsigned char key[4] = {data[0], 0x5a, 0xa5, static_cast<unsigned char>(size)};
    for (const auto& m : whole.messages) {
        FUZZ_CHECK(m.opcode != ws_opcode::continuation, "a continuation surfaced as a message");
        const bool control = static_cast<std::uint8_t>(m.opcode) & 0x08;
        if (control) {
            FUZZ_CHECK(m.payload.size() <= 125, "control payload over 125 bytes");
            FUZZ_CHECK(!(m.opcode == ws_opcode::close && m.payload.size() == 1), "close payload of 1 byte");
        } else {
            FUZZ_CHECK(m.payload.size() <= max_message, "message over the limit");
        }
        if (m.opcode == ws_opcode::text) FUZZ_CHECK(valid_utf8(m.payload), "text message not valid UTF-8");

        std::vector<ws_message> again;
        ws_parser parser(max_message);
        FUZZ_CHECK(!parser.feed(mask(ws_frame(m.opcode, m.payload), key), again), "re-framed message refused");
        FUZZ_CHECK(again.size() == 1 && same(again[0], m), "re-framed message parsed differently");
        FUZZ_CHECK(!parser.mid_message(), "re-framed message left bytes pending");
    }
    return 0;
}
