// http/router: which route a (listener, method, path) reaches, whether it needs the API key,
// and the 404/405 answered otherwise.
#include "lib/http/router.hpp"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

constexpr auto pub = listener_kind::public_listener;
constexpr auto internal = listener_kind::internal_listener;

TEST(Router, StreamsAreOnBothListeners) {
    EXPECT_EQ(match_route(pub, "GET", "/v1/sse").id, route_id::sse);
    EXPECT_EQ(match_route(internal, "GET", "/v1/sse").id, route_id::sse);
    EXPECT_EQ(match_route(pub, "GET", "/v1/ws").id, route_id::ws);
    EXPECT_EQ(match_route(internal, "HEAD", "/v1/sse").id, route_id::sse);
}

TEST(Router, InternalRoutesAreNotFoundOnThePublicListener) {
    for (auto [method, path] : {std::pair{"POST", "/v1/publish"}, {"GET", "/metrics"}, {"GET", "/v1/channels"},
                                {"GET", "/v1/channels/news"}, {"POST", "/v1/users/42/disconnect"}}) {
        auto m = match_route(pub, method, path);
        EXPECT_EQ(m.id, route_id::none) << path;
        EXPECT_EQ(m.error.code, "not_found") << path;
        EXPECT_EQ(m.error.status, 404) << path;
    }
}

TEST(Router, NeedsApiKeyForStreamsAndTheApiButNotProbesOrMetrics) {
    struct row {
        const char* method;
        const char* path;
        route_id id;
        bool needs_key;
    };
    for (const auto& r : {row{"GET", "/v1/sse", route_id::sse, true},
                          row{"GET", "/v1/ws", route_id::ws, true},
                          row{"POST", "/v1/publish", route_id::publish, true},
                          row{"POST", "/v1/channels/news/events", route_id::channel_events_post, true},
                          row{"GET", "/v1/channels/news/events", route_id::channel_events_get, true},
                          row{"POST", "/v1/users/42/disconnect", route_id::user_disconnect, true},
                          row{"GET", "/v1/channels", route_id::channels_list, true},
                          row{"GET", "/v1/channels/news", route_id::channel_inspect, true},
                          row{"GET", "/v1/channels/prices:n/latest", route_id::channel_latest, true},
                          row{"GET", "/v1/connections", route_id::connections, true},
                          row{"GET", "/v1/stats", route_id::stats, true},
                          row{"HEAD", "/v1/stats", route_id::stats, true},
                          row{"GET", "/v1/presence", route_id::presence, true},
                          row{"GET", "/v1/presence/users", route_id::presence_users, true},
                          row{"GET", "/v1/presence/channels", route_id::presence_channels, true},
                          row{"GET", "/healthz", route_id::healthz, false},
                          row{"GET", "/readyz", route_id::readyz, false},
                          row{"GET", "/metrics", route_id::metrics, false},
                          row{"OPTIONS", "/v1/publish", route_id::cors_preflight, false}}) {
        auto m = match_route(internal, r.method, r.path);
        EXPECT_EQ(m.id, r.id) << r.method << " " << r.path;
        EXPECT_EQ(m.needs_api_key, r.needs_key) << r.method << " " << r.path;
    }
    EXPECT_FALSE(match_route(internal, "GET", "/nope").needs_api_key);
    EXPECT_FALSE(match_route(internal, "DELETE", "/v1/publish").needs_api_key);
}

TEST(Router, ParametersMayHoldSlashes) {
    auto m = match_route(internal, "GET", "/v1/channels/a/b/events");
    EXPECT_EQ(m.id, route_id::channel_events_get);
    EXPECT_EQ(m.param, "a/b");
    m = match_route(internal, "GET", "/v1/channels/a/b");
    EXPECT_EQ(m.id, route_id::channel_inspect);
    EXPECT_EQ(m.param, "a/b");
    m = match_route(internal, "POST", "/v1/users/u@x/disconnect");
    EXPECT_EQ(m.id, route_id::user_disconnect);
    EXPECT_EQ(m.param, "u@x");
}

TEST(Router, WrongMethodIs405WithAllow) {
    auto m = match_route(internal, "PUT", "/v1/publish");
    EXPECT_EQ(m.id, route_id::none);
    EXPECT_EQ(m.error.code, "method_not_allowed");
    EXPECT_EQ(m.error.status, 405);
    EXPECT_EQ(m.allow, "POST");
    m = match_route(internal, "DELETE", "/v1/channels/news/events");
    EXPECT_EQ(m.error.status, 405);
    EXPECT_EQ(m.allow, "GET, POST");
    EXPECT_EQ(match_route(pub, "POST", "/v1/sse").allow, "GET");
}

TEST(Router, UnknownPathIs404) {
    auto m = match_route(pub, "GET", "/v1/nope");
    EXPECT_EQ(m.id, route_id::none);
    EXPECT_EQ(m.error.code, "not_found");
    EXPECT_TRUE(m.allow.empty());
    EXPECT_EQ(match_route(internal, "GET", "/v1/channels/").id, route_id::none);
}

}  // namespace
}  // namespace herald::http
