// API dispatch: one switch over the API routes.
#include "sidecar/api_dispatch.hpp"

#include "lib/protocol/json_codec.hpp"
#include "sidecar/api_inspect.hpp"
#include "sidecar/api_presence.hpp"
#include "sidecar/api_users.hpp"

namespace herald::sidecar {

using herald::http::route_id;

void dispatch_api(services& svc, api_request req, api_callback reply) {
    auto& param = req.route.param;
    switch (req.route.id) {
        case route_id::user_disconnect:
            handle_user_disconnect(svc, std::move(param), std::move(reply));
            return;
        case route_id::channels_list:
            handle_channels_list(svc, req.target, std::move(reply));
            return;
        case route_id::channel_inspect:
            handle_channel_inspect(svc, std::move(param), std::move(reply));
            return;
        case route_id::channel_events_get:
            handle_channel_history(svc, std::move(param), req.target, std::move(reply));
            return;
        case route_id::channel_latest:
            handle_channel_latest(svc, std::move(param), std::move(reply));
            return;
        case route_id::connections:
            handle_connections(svc, req.target, std::move(reply));
            return;
        case route_id::stats:
            handle_stats(svc, std::move(reply));
            return;
        case route_id::presence:
            handle_presence(svc, req.target, std::move(reply));
            return;
        case route_id::presence_users:
            handle_presence_page(svc, presence::subject::user, req.target, std::move(reply));
            return;
        case route_id::presence_channels:
            handle_presence_page(svc, presence::subject::channel, req.target, std::move(reply));
            return;
        case route_id::publish:
            handle_publish(svc, req.content_type, std::move(req.body), std::move(reply));
            return;
        case route_id::channel_events_post: {
            auto idempotency_key = req.target.param("idempotency_key").value_or(std::move(req.idempotency_key));
            handle_channel_publish(svc, std::move(param), req.content_type, std::move(req.body),
                                   req.target.param("event").value_or(""), std::move(idempotency_key),
                                   req.target.param("key"), std::move(reply));
            return;
        }
        default:
            break;
    }
    auto e = model::errors::internal("no API handler for this route");
    reply(error_reply(e));
}

}  // namespace herald::sidecar
