// Checks every request passes before it is routed: HTTP framing rules Beast leaves to the
// application (exactly one Host, a Transfer-Encoding that ends in chunked) and who may talk to the
// internal listener (a Host it answers to; a browser of another origin only with an API key).
// Pure over the parsed request and the settings in force; called on the connection's shard thread.
#pragma once

#include <optional>

#include "lib/auth/access_policy.hpp"
#include "lib/config/config.hpp"
#include "lib/model/error.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/request_parser.hpp"

namespace herald::sidecar {

// The error to answer (and close the connection after), or nullopt when the request may proceed.
// Order: framing (400) → Host on the internal listener (421) → cross-origin browser without a
// valid API key on the internal listener (403 cross_origin_refused).
std::optional<model::error> guard_request(const request& req, listener_kind kind, const config::config& cfg,
                                          const auth::access_policy& auth);

}  // namespace herald::sidecar
