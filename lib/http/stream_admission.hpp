// Stream admission: whether a GET /v1/sse or /v1/ws request may open a stream, and with what:
// who subscribes (a token from ?token=, Authorization or the cookie; a cookie only from a listed
// Origin; the internal listener is trusted), which channels (valid, sorted, unique, at most
// limits.max_channels_per_connection; SSE adds the token's user:<sub>), from where (since=, and
// for SSE a Last-Event-ID, which wins), in which envelope; or the error to answer.
// Pure: takes what the request says, the configuration and the access policy; no I/O, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/auth/access_policy.hpp"
#include "lib/config/config.hpp"
#include "lib/http/request_target.hpp"
#include "lib/http/router.hpp"
#include "lib/model/disconnect.hpp"
#include "lib/model/error.hpp"
#include "lib/node/resume.hpp"

namespace herald::http {

// What a stream request says, as read from its target and headers (empty: header absent).
struct stream_request {
    // internal_listener: trusted, every channel (the route has checked the API key, if any).
    listener_kind listener = listener_kind::public_listener;
    request_target target;
    std::string_view authorization;
    std::string_view cookie;
    std::string_view origin;
    std::string_view last_event_id;  // SSE: what the browser resends on reconnect
};

// A request that opens no stream: answer `error` (keep-alive off). An auth refusal (401/403 from
// the token, origin or channel grants) is counted and logged as one; the others are plain 400s.
struct stream_refusal {
    model::error error;
    bool auth = false;
};

struct sse_admission {
    std::vector<std::string> channels;  // sorted, unique; with user:<sub> for a token with a sub
    std::string user;                   // the token's sub, or empty
    std::optional<std::int64_t> exp_ms;  // the token's exp: the stream ends then
    bool envelope = false;              // envelope=json
    node::since_spec since;             // since=, overridden by a Last-Event-ID (bad one: bad_cursor)
};

struct ws_admission {
    std::vector<std::string> channels;  // from the query: sorted, unique (may be empty; empty when refused)
    node::since_spec since;             // cursor over those channels
    auth::identity who;                 // the subscriber (anonymous, a verified token, or trusted)
    // An auth refusal upgrades and then closes with `close` at once, because a browser's WebSocket
    // never sees an HTTP error; `error` is what is counted and logged.
    struct auth_refusal {
        model::disconnect close;
        model::error error;
    };
    std::optional<auth_refusal> refusal;
};

// Who is subscribing: the trusted API-key holder on the internal listener; on the public one a
// verified token (or anonymous when none is presented), else the refusal. A cookie token sent
// with an Origin that auth.allowed_origins does not list is origin_not_allowed.
model::result<auth::identity> stream_subscriber(const stream_request& req, const config::config& cfg,
                                                const auth::access_policy& access);

// The close code for a WebSocket auth refusal: 4002 token_expired (get a new token),
// 4103 origin_not_allowed, 4100 forbidden for the rest.
model::disconnect ws_refusal_close(const model::error& e);

std::variant<sse_admission, stream_refusal> admit_sse(const stream_request& req, const config::config& cfg,
                                                      const auth::access_policy& access);
// A stream_refusal here is a 400 before the upgrade (channels, since=); auth refusals come back
// as ws_admission::refusal.
std::variant<ws_admission, stream_refusal> admit_ws(const stream_request& req, const config::config& cfg,
                                                    const auth::access_policy& access);

}  // namespace herald::http
