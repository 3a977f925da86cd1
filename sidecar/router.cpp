// The route table for both listeners.
#include "sidecar/router.hpp"

namespace herald::sidecar {

namespace {
struct entry {
    std::string_view path;
    std::string_view method;
    route_id id;
    bool internal_only;
};
constexpr entry table[] = {
    {"/v1/sse", "GET", route_id::sse, false},
    {"/v1/ws", "GET", route_id::ws, false},
    {"/healthz", "GET", route_id::healthz, false},
    {"/metrics", "GET", route_id::metrics, true},
    {"/v1/publish", "POST", route_id::publish, true},
};
}  // namespace

route_match match_route(listener_kind listener, std::string_view method, std::string_view path) {
    route_match m;
    const bool internal = listener == listener_kind::internal_listener;
    if (method == "OPTIONS") {
        m.id = route_id::cors_preflight;
        return m;
    }
    for (const auto& e : table) {
        if (e.path != path || (e.internal_only && !internal)) continue;
        if (e.method == method || (method == "HEAD" && e.method == "GET" && e.id != route_id::sse && e.id != route_id::ws)) {
            m.id = e.id;
            return m;
        }
        m.allow = std::string(e.method);
        m.error = model::errors::method_not_allowed(std::string(method), std::string(path), m.allow);
        return m;
    }
    constexpr std::string_view prefix = "/v1/channels/";
    constexpr std::string_view suffix = "/events";
    if (internal && path.size() > prefix.size() + suffix.size() && path.substr(0, prefix.size()) == prefix &&
        path.substr(path.size() - suffix.size()) == suffix) {
        m.channel = std::string(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
        if (method == "POST") {
            m.id = route_id::channel_events_post;
            return m;
        }
        m.allow = "POST";
        m.error = model::errors::method_not_allowed(std::string(method), std::string(path), m.allow);
        return m;
    }
    constexpr std::string_view users = "/v1/users/";
    constexpr std::string_view disconnect = "/disconnect";
    if (internal && path.size() > users.size() + disconnect.size() && path.substr(0, users.size()) == users &&
        path.substr(path.size() - disconnect.size()) == disconnect) {
        m.user = std::string(path.substr(users.size(), path.size() - users.size() - disconnect.size()));
        if (method == "POST") {
            m.id = route_id::user_disconnect;
            return m;
        }
        m.allow = "POST";
        m.error = model::errors::method_not_allowed(std::string(method), std::string(path), m.allow);
        return m;
    }
    m.error = model::errors::not_found(std::string(method), std::string(path));
    return m;
}

}  // namespace herald::sidecar
