// Lazy, once-only encodings of an event for SSE (bare and envelope).
#include "lib/channels/encoded_event.hpp"

#include "lib/protocol/cursor.hpp"
#include "lib/protocol/sse_encoder.hpp"
#include "lib/protocol/ws_codec.hpp"
#include "lib/protocol/ws_frame.hpp"

namespace herald::channels {

const frame& encoded_event::sse_body(bool envelope) const {
    int i = envelope ? 1 : 0;
    std::call_once(body_once_[i], [&] {
        body_[i] = std::make_shared<const std::string>(protocol::sse_event_body(*ev_, envelope));
    });
    return body_[i];
}

const frame& encoded_event::sse_single(bool envelope) const {
    int i = envelope ? 1 : 0;
    std::call_once(single_once_[i], [&] {
        std::string cursor = protocol::single_channel_cursor_prefix(ev_->channel, ev_->epoch);
        cursor.append(std::to_string(ev_->offset));
        std::string out = protocol::sse_id_line(cursor);
        out.append(*sse_body(envelope));
        single_[i] = std::make_shared<const std::string>(std::move(out));
    });
    return single_[i];
}

const frame& encoded_event::ws() const {
    std::call_once(ws_once_, [&] {
        ws_ = std::make_shared<const std::string>(protocol::ws_frame(protocol::ws_opcode::text, protocol::ws_event_json(*ev_)));
    });
    return ws_;
}

}  // namespace herald::channels
