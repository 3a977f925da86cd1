// Which API handler answers a routed request on the internal listener: publish, user
// disconnect, inspect. Called on the request's shard thread; the handler answers through
// `reply`, possibly from another thread (a shard's or the broker's); never throws.
#pragma once

#include <string>
#include <string_view>

#include "lib/http/request_target.hpp"
#include "lib/http/router.hpp"
#include "sidecar/api_publish.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

// What an API handler needs of one request.
struct api_request {
    herald::http::route_match route;  // one of the API routes (not none, probes or streams)
    herald::http::request_target target;
    std::string_view content_type;  // into the request being read: valid during dispatch_api only
    std::string idempotency_key;  // the Idempotency-Key header; ?idempotency_key= wins
    std::string body;
};

void dispatch_api(services& svc, api_request req, api_callback reply);

}  // namespace herald::sidecar
