// The route table for both listeners.
#include "lib/http/router.hpp"

namespace herald::http {

namespace {
struct entry {
    std::string_view path;
    std::string_view method;
    route_id id;
    bool internal_only;
    bool needs_api_key;
};
constexpr entry table[] = {
    {"/v1/sse", "GET", route_id::sse, false, true},
    {"/v1/ws", "GET", route_id::ws, false, true},
    {"/healthz", "GET", route_id::healthz, false, false},
    {"/readyz", "GET", route_id::readyz, false, false},
    {"/metrics", "GET", route_id::metrics, true, false},
    {"/v1/publish", "POST", route_id::publish, true, true},
    {"/v1/channels", "GET", route_id::channels_list, true, true},
    {"/v1/connections", "GET", route_id::connections, true, true},
    {"/v1/stats", "GET", route_id::stats, true, true},
    {"/v1/presence", "GET", route_id::presence, true, true},
    {"/v1/presence/users", "GET", route_id::presence_users, true, true},
    {"/v1/presence/channels", "GET", route_id::presence_channels, true, true},
};

// Paths with one parameter between a prefix and a suffix: /v1/channels/{channel}/events. The first
// shape a path fits decides (a channel name may hold '/', so /v1/channels/a/events is the events
// of "a"); entries of one shape list its methods.
struct param_entry {
    std::string_view prefix, suffix, method;
    route_id id;
    bool internal_only;
    bool needs_api_key;
};
constexpr param_entry param_table[] = {
    {"/v1/channels/", "/events", "GET", route_id::channel_events_get, true, true},
    {"/v1/channels/", "/events", "POST", route_id::channel_events_post, true, true},
    {"/v1/channels/", "/latest", "GET", route_id::channel_latest, true, true},
    {"/v1/users/", "/disconnect", "POST", route_id::user_disconnect, true, true},
    {"/v1/channels/", "", "GET", route_id::channel_inspect, true, true},
};

bool fits(const param_entry& e, std::string_view path) {
    return path.size() > e.prefix.size() + e.suffix.size() && path.substr(0, e.prefix.size()) == e.prefix &&
           path.substr(path.size() - e.suffix.size()) == e.suffix;
}
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
        if (e.method == method || (method == "HEAD" && e.method == "GET")) {
            m.id = e.id;
            m.needs_api_key = e.needs_api_key;
            return m;
        }
        m.allow = std::string(e.method);
        m.error = model::errors::method_not_allowed(std::string(method), std::string(path), m.allow);
        return m;
    }
    const param_entry* shape = nullptr;
    for (const auto& e : param_table) {
        if ((e.internal_only && !internal) || !fits(e, path)) continue;
        if (shape && (e.prefix != shape->prefix || e.suffix != shape->suffix)) continue;
        shape = &e;
        if (method == e.method || (method == "HEAD" && e.method == "GET")) {
            m.id = e.id;
            m.needs_api_key = e.needs_api_key;
            m.param = std::string(path.substr(e.prefix.size(), path.size() - e.prefix.size() - e.suffix.size()));
            return m;
        }
        m.allow += (m.allow.empty() ? "" : ", ") + std::string(e.method);
    }
    if (shape) {
        m.error = model::errors::method_not_allowed(std::string(method), std::string(path), m.allow);
        return m;
    }
    m.error = model::errors::not_found(std::string(method), std::string(path));
    return m;
}

}  // namespace herald::http
