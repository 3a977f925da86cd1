// The user admin API: POST /v1/users/{id}/disconnect ends every connection whose token's sub is
// {id}, on every shard (SSE: herald.disconnect, WebSocket: close 4102), for logout and bans.
// Answers through `reply` from a shard thread once every shard has acted; never throws.
#pragma once

#include <string>

#include "sidecar/api_publish.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

void handle_user_disconnect(services& svc, std::string user, api_callback reply);

}  // namespace herald::sidecar
