// Routes: (listener, method, path) → which handler and whether it needs the API key, or the
// 404/405 error to answer with. Pure table lookup, no business logic, no I/O; any thread.
#pragma once

#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::http {

// The listener a request came in on: public (subscribers) or internal (publishers, tools).
enum class listener_kind { public_listener, internal_listener };

enum class route_id {
    none,
    sse,
    ws,
    healthz,
    readyz,
    metrics,
    publish,
    channel_events_post,
    user_disconnect,
    channels_list,
    channel_inspect,
    channel_events_get,
    channel_latest,
    connections,
    stats,
    presence,
    presence_users,
    presence_channels,
    cors_preflight,
};

struct route_match {
    route_id id = route_id::none;
    // On the internal listener the caller must check the API key first (when keys are
    // configured). False for probes (/healthz, /readyz), /metrics, CORS preflights and 404/405.
    bool needs_api_key = false;
    std::string param;    // the {channel} of /v1/channels/{channel}/..., the {id} of /v1/users/{id}/...
    model::error error;   // when id == none
    std::string allow;    // for 405
};

route_match match_route(listener_kind listener, std::string_view method, std::string_view path);

}  // namespace herald::http
