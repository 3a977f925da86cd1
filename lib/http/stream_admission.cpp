// Stream admission: the checks run in the order a client would fix them, as answered before.
#include "lib/http/stream_admission.hpp"

#include <algorithm>

#include "lib/auth/browser_rules.hpp"
#include "lib/http/credentials.hpp"
#include "lib/model/channel.hpp"

namespace herald::http {

namespace {

// The query's channels, validated, sorted and unique.
model::result<std::vector<std::string>> stream_channels(const request_target& target, bool required,
                                                        std::size_t max_channels) {
    auto channels = target.params("channel");
    if (channels.empty() && required) return model::errors::missing_channel();
    for (const auto& c : channels)
        if (auto e = model::validate_channel(c)) return *e;
    std::sort(channels.begin(), channels.end());
    channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
    if (channels.size() > max_channels) return model::errors::too_many_channels(channels.size(), max_channels);
    return channels;
}

// The first channel `who` may not subscribe to, as its 401/403 error.
std::optional<model::error> channels_refusal(const auth::access_policy& access, const auth::identity& who,
                                             const std::vector<std::string>& channels) {
    for (const auto& c : channels)
        if (auto e = access.subscribe_refusal(who, c)) return e;
    return std::nullopt;
}

stream_refusal plain(model::error e) { return {std::move(e), false}; }
stream_refusal auth_refused(model::error e) { return {std::move(e), true}; }

}  // namespace

model::result<auth::identity> stream_subscriber(const stream_request& req, const config::config& cfg,
                                                const auth::access_policy& access) {
    if (req.listener == listener_kind::internal_listener) {
        auth::identity trusted;
        trusted.trusted = true;
        return trusted;
    }
    token_sources src{req.target.param("token"), req.authorization, req.cookie, cfg.auth.token_cookie};
    auto token = subscriber_token(src);
    if (!token) return access.authenticate(std::nullopt);
    // A cookie is sent by the browser on its own, whichever page asks: only listed origins may use
    // it (a request without Origin is same-origin or not from a browser page).
    if (token->from_cookie && !req.origin.empty() && !auth::origin_listed(req.origin, cfg.auth.allowed_origins))
        return model::errors::origin_not_allowed(std::string(req.origin));
    return access.authenticate(std::move(token->value));
}

model::disconnect ws_refusal_close(const model::error& e) {
    if (e.code == model::error_kinds::token_expired.code) return model::disconnects::token_expired;
    if (e.code == model::error_kinds::origin_not_allowed.code) return model::disconnects::origin_not_allowed;
    return model::disconnects::forbidden;
}

std::variant<sse_admission, stream_refusal> admit_sse(const stream_request& req, const config::config& cfg,
                                                      const auth::access_policy& access) {
    auto who = stream_subscriber(req, cfg, access);
    if (!who) return auth_refused(who.err());
    const auto personal = who->personal_channel();
    auto channels = stream_channels(req.target, personal.empty(), cfg.limits.max_channels_per_connection);
    if (!channels) return plain(channels.err());
    if (auto e = channels_refusal(access, *who, *channels)) return auth_refused(*e);
    sse_admission a;
    a.channels = std::move(*channels);
    if (!personal.empty() && !std::binary_search(a.channels.begin(), a.channels.end(), personal))
        a.channels.insert(std::lower_bound(a.channels.begin(), a.channels.end(), personal), personal);
    a.user = who->sub.value_or("");
    a.exp_ms = who->exp_ms;
    auto envelope = req.target.param("envelope");
    if (envelope && *envelope != "json" && *envelope != "none")
        return plain(model::errors::invalid_envelope(*envelope));
    a.envelope = envelope && *envelope == "json";
    if (auto since = req.target.param("since")) {
        auto s = node::parse_since(*since);
        if (!s) return plain(model::errors::invalid_cursor(*since));
        a.since = std::move(*s);
    }
    if (!req.last_event_id.empty()) {
        // A browser resends this on its own when it reconnects, with the URL (and its since=)
        // unchanged: the newer Last-Event-ID wins, and a bad one opens the stream with herald.reset.
        auto s = node::parse_since(req.last_event_id);
        if (s)
            a.since = std::move(*s);
        else
            a.since.mode = node::since_mode::bad_cursor;
    }
    return a;
}

std::variant<ws_admission, stream_refusal> admit_ws(const stream_request& req, const config::config& cfg,
                                                    const auth::access_policy& access) {
    auto channels = stream_channels(req.target, false, cfg.limits.max_channels_per_connection);
    if (!channels) return plain(channels.err());
    ws_admission a;
    auto who = stream_subscriber(req, cfg, access);
    if (!who) {
        a.refusal = ws_admission::auth_refusal{ws_refusal_close(who.err()), who.err()};
        return a;
    }
    if (auto e = channels_refusal(access, *who, *channels)) {
        a.refusal = ws_admission::auth_refusal{ws_refusal_close(*e), *e};
        return a;
    }
    a.who = std::move(*who);
    a.channels = std::move(*channels);
    if (auto since = req.target.param("since")) {
        if (a.channels.empty()) return plain(model::errors::bad_request("since= needs channel= in the same query"));
        auto s = node::parse_since(*since);
        if (!s) return plain(model::errors::invalid_cursor(*since));
        a.since = std::move(*s);
    }
    return a;
}

}  // namespace herald::http
