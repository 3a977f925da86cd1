// SSE subscription client for `herald tail` and the tests: connects, parses events, and on a
// dropped connection reconnects with exponential backoff, resuming with Last-Event-ID so that
// nothing history holds is lost. Blocking; runs on the caller's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/client/http_client.hpp"
#include "lib/protocol/sse_parser.hpp"

namespace herald::client {

struct stream_request {
    server_url url;
    std::vector<std::string> channels;
    std::string since;  // "", "earliest" or a cursor; used for the first connection only
    bool envelope = true;
    header_list headers;
    std::string token;  // subscriber JWT, sent as ?token= (empty: none)
    std::chrono::milliseconds idle_timeout{45000};  // no byte (not even a keepalive) for this long: reconnect
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
};

// How one connection attempt ended.
enum class attempt_outcome { stopped, dropped, fatal };

// The reconnect loop shared by both transports: runs attempt(fatal, got_bytes) until it stops or
// fails for good; after a drop it waits with exponential backoff (reset once an attempt got
// bytes), noticing *stop every 20 ms. Returns nullopt when stopped, else the fatal error.
std::optional<model::error> run_with_backoff(
    const stream_request& req, const std::function<void(const std::string&)>& on_notice, const std::atomic<bool>* stop,
    const std::function<attempt_outcome(model::error& fatal, bool& got_bytes)>& attempt);

class event_stream {
public:
    using event_fn = std::function<bool(const protocol::sse_message&)>;  // false: stop
    using notice_fn = std::function<void(const std::string&)>;

    explicit event_stream(stream_request req) : req_(std::move(req)) {}

    // Runs until on_event returns false or *stop becomes true (checked at least every 500 ms).
    // Returns nullopt then, or the error that ended it for good (a 4xx from the server).
    std::optional<model::error> run(const event_fn& on_event, const notice_fn& on_notice,
                                    const std::atomic<bool>* stop = nullptr);
    const std::string& last_id() const { return last_id_; }

private:
    using outcome = attempt_outcome;
    outcome once(const event_fn& on_event, const notice_fn& on_notice, const std::atomic<bool>* stop,
                 model::error& fatal, bool& got_bytes);
    std::string target(bool first) const;

    stream_request req_;
    std::string last_id_;
};

}  // namespace herald::client
