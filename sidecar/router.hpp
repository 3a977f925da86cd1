// Routes: (listener, method, path) → which handler, or the 404/405 error to answer with.
// Pure table lookup; no business logic.
#pragma once

#include <string>
#include <string_view>

#include "lib/model/error.hpp"

namespace herald::sidecar {

enum class listener_kind { public_listener, internal_listener };

enum class route_id { none, sse, ws, healthz, metrics, publish, channel_events_post, user_disconnect, cors_preflight };

struct route_match {
    route_id id = route_id::none;
    std::string channel;  // for /v1/channels/{ch}/...
    std::string user;     // for /v1/users/{id}/...
    model::error error;   // when id == none
    std::string allow;    // for 405
};

route_match match_route(listener_kind listener, std::string_view method, std::string_view path);

}  // namespace herald::sidecar
