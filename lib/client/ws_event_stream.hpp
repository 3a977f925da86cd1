// WebSocket subscription client for `herald tail --ws` and the tests: the same contract as
// event_stream (events handed over as SSE-shaped messages carrying the same stream cursor, so
// output and --since work alike on both transports), over /v1/ws with JSON commands. On a
// dropped connection it reconnects with backoff and resubscribes every channel from its last
// (epoch, offset). Blocking; runs on the caller's thread.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "lib/client/event_stream.hpp"

namespace herald::client {

class ws_event_stream {
public:
    using event_fn = event_stream::event_fn;
    using notice_fn = event_stream::notice_fn;

    explicit ws_event_stream(stream_request req);

    // As event_stream::run: until on_event returns false or *stop is set (checked every ≤ 200 ms);
    // returns the error that ended it for good (a 4xx refusal, a close code that says not to
    // reconnect, a subscribe the server refused).
    std::optional<model::error> run(const event_fn& on_event, const notice_fn& on_notice,
                                    const std::atomic<bool>* stop = nullptr);
    // The stream cursor after the last event (the format of SSE ids), or the --since given.
    const std::string& last_id() const { return last_id_; }

private:
    using outcome = attempt_outcome;
    struct position {
        std::string epoch;  // empty until the server has told us
        std::uint64_t offset = 0;
    };
    outcome once(const event_fn& on_event, const notice_fn& on_notice, const std::atomic<bool>* stop,
                 model::error& fatal, bool& got_bytes);
    // Acts on one server message; false when it ends the run (stop or fatal).
    bool on_message(const std::string& text, const event_fn& on_event, const notice_fn& on_notice, outcome& result,
                    model::error& fatal);
    std::string first_target() const;
    // On reconnect: the token's user: channel resumes in the query (so the server does not also
    // subscribe it live); the others by subscribe commands.
    std::string resume_target() const;
    std::string resubscribe_command(std::size_t i) const;
    void update_cursor();

    stream_request req_;
    std::vector<position> positions_;  // per channel, in req_.channels (sorted) order
    bool positioned_ = false;          // the server has given a position for every channel
    std::string personal_;             // the user: channel the server subscribed for the token, if any
    std::string last_id_;
};

}  // namespace herald::client
