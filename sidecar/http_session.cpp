// HTTP session: bounded request reading, guards, routing, JSON replies (headers only for HEAD),
// reply deadlines, hand-off to SSE and WebSocket sessions.
#include "sidecar/http_session.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "lib/model/channel.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/protocol/ws_handshake.hpp"
#include "lib/auth/browser_rules.hpp"
#include "sidecar/api_inspect.hpp"
#include "sidecar/api_probes.hpp"
#include "sidecar/api_publish.hpp"
#include "sidecar/api_users.hpp"
#include "sidecar/credentials.hpp"
#include "sidecar/request_guard.hpp"
#include "sidecar/request_target.hpp"
#include "sidecar/sse_session.hpp"
#include "sidecar/ws_session.hpp"

namespace herald::sidecar {

using herald::http::route_id;

http_session::http_session(services& svc, shard& home, asio::ip::tcp::socket socket, listener_kind kind,
                           std::uint64_t id)
    : svc_(svc), home_(home), stream_(std::move(socket)), kind_(kind), id_(id) {}

http_session::~http_session() = default;

void http_session::start() {
    home_.add(shared_from_this());
    // While draining, the internal listener keeps serving (publishes, probes, metrics) until the
    // window ends; a public request is answered once and closed.
    stopping_ = svc_.stopping.load() && kind_ == listener_kind::public_listener;
    read_request();
}

void http_session::read_request() {
    if (stopping_) {
        close();
        return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(svc_.cfg().limits.max_header_bytes));
    parser_->body_limit(svc_.cfg().limits.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(svc_.cfg().limits.request_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
        close();
        return;
    }
    if (ec == beast::error::timeout) {
        // The stream has already closed the socket; nothing more can be said to this client.
        svc_.metrics.request_timeouts.fetch_add(1, std::memory_order_relaxed);
        if (parser_->got_some())
            svc_.log.info("conn={} request not complete within {} ms, closed", id_, svc_.cfg().limits.request_timeout_ms);
        close();
        return;
    }
    linger_ = true;  // from here on, part of the request may still be unread
    if (ec == http::error::body_limit) {
        svc_.metrics.requests_too_large.fetch_add(1, std::memory_order_relaxed);
        reply_error(model::errors::body_too_large(svc_.cfg().limits.max_body_bytes), 11, false);
        return;
    }
    if (ec == http::error::header_limit) {
        svc_.metrics.requests_too_large.fetch_add(1, std::memory_order_relaxed);
        reply_error(model::errors::headers_too_large(svc_.cfg().limits.max_header_bytes), 11, false);
        return;
    }
    if (ec) {
        reply_error(model::errors::bad_request("malformed HTTP request: " + ec.message()), 11, false);
        return;
    }
    linger_ = false;
    stream_.expires_never();
    svc_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
    request req = parser_->release();
    handle(req);
}

namespace {
std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
    return out;
}

// The Access-Control-Allow-Origin value for a public-listener request ("" for none): see
// lib/auth/browser_rules.hpp. The internal listener never answers with CORS headers.
std::string allow_origin_for(listener_kind kind, std::string_view origin, const config::config& cfg) {
    if (kind != listener_kind::public_listener) return {};
    switch (auth::cors_for(origin, cfg.auth.allowed_origins)) {
        case auth::cors_grant::any:
            return "*";
        case auth::cors_grant::credentialed:
            return std::string(origin);
        case auth::cors_grant::none:
            break;
    }
    return {};
}
}  // namespace

void http_session::handle(request& req) {
    head_ = req.method() == http::verb::head;
    origin_ = allow_origin_for(kind_, req[http::field::origin], svc_.cfg());
    if (auto e = guard_request(req, kind_, svc_.cfg(), svc_.access())) {
        if (e->status != 400) {
            refuse(*e, req);
        } else {
            reply_error(*e, req.version(), false);
        }
        return;
    }
    auto target = parse_target(req.target());
    if (!target) {
        reply_error(model::errors::bad_request("malformed percent-escape in '" + std::string(req.target()) + "'"),
                    req.version(), req.keep_alive());
        return;
    }
    auto route = herald::http::match_route(kind_, req.method_string(), target->path);
    if (kind_ == listener_kind::internal_listener && route.needs_api_key) {
        if (auto e = svc_.access().check_api_key(bearer_token(req[http::field::authorization]))) {
            refuse(*e, req);
            return;
        }
    }
    auto answer = [&](const probe_reply& p) {
        response res{static_cast<http::status>(p.status), req.version()};
        res.set(http::field::content_type, p.content_type);
        res.body() = p.body;
        res.keep_alive(req.keep_alive());
        reply(std::move(res));
    };
    switch (route.id) {
        case route_id::none: {
            response res;
            if (!route.allow.empty()) res.set(http::field::allow, route.allow);
            auto e = route.error;
            res.version(req.version());
            res.keep_alive(req.keep_alive());
            res.result(static_cast<http::status>(e.status));
            res.set(http::field::content_type, "application/json");
            res.body() = protocol::error_json(e);
            reply(std::move(res));
            return;
        }
        case route_id::cors_preflight: {
            response res{http::status::no_content, req.version()};
            res.set(http::field::allow, "GET, HEAD, POST, OPTIONS");
            if (!origin_.empty()) {  // ACAO (and credentials) are added by reply()
                res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
                res.set(http::field::access_control_allow_headers, "Authorization, Content-Type, Last-Event-ID, Idempotency-Key");
                res.set(http::field::access_control_max_age, "600");
            }
            res.keep_alive(req.keep_alive());
            reply(std::move(res));
            return;
        }
        case route_id::healthz:
            answer(healthz(svc_));
            return;
        case route_id::readyz:
            answer(readyz(svc_));
            return;
        case route_id::metrics:
            answer(metrics_page(svc_));
            return;
        case route_id::sse:
            if (head_) {  // what a GET would start with, and no stream
                answer({200, "text/event-stream; charset=utf-8", {}});
                return;
            }
            start_sse(req);
            return;
        case route_id::ws:
            start_ws(req);
            return;
        case route_id::publish:
        case route_id::channel_events_post:
        case route_id::user_disconnect:
        case route_id::channels_list:
        case route_id::channel_inspect:
        case route_id::channel_events_get:
        case route_id::connections:
        case route_id::stats:
            break;
    }
    // API calls: the reply may come from the broker's thread; bring it back to this shard.
    auto version = req.version();
    auto keep_alive = req.keep_alive();
    const auto call = ++call_;
    awaiting_ = true;
    awaiting_version_ = version;
    reply_deadline_ms_ = home_.coarse_now() + svc_.cfg().limits.request_timeout_ms;
    auto done = [self = shared_from_this(), version, keep_alive, call](api_reply r) {
        asio::dispatch(self->home_.io(), [self, version, keep_alive, call, r = std::move(r)]() mutable {
            if (!self->awaiting_ || self->call_ != call) return;  // answered by the deadline already
            self->awaiting_ = false;
            response res{static_cast<http::status>(r.status), version};
            res.set(http::field::content_type, "application/json");
            res.body() = std::move(r.body);
            res.keep_alive(keep_alive);
            self->reply(std::move(res));
        });
    };
    switch (route.id) {
        case route_id::user_disconnect:
            handle_user_disconnect(svc_, route.param, std::move(done));
            return;
        case route_id::channels_list:
            handle_channels_list(svc_, *target, std::move(done));
            return;
        case route_id::channel_inspect:
            handle_channel_inspect(svc_, route.param, std::move(done));
            return;
        case route_id::channel_events_get:
            handle_channel_history(svc_, route.param, *target, std::move(done));
            return;
        case route_id::connections:
            handle_connections(svc_, *target, std::move(done));
            return;
        case route_id::stats:
            handle_stats(svc_, std::move(done));
            return;
        default:
            break;
    }
    std::string ct(req[http::field::content_type]);
    if (route.id == route_id::publish) {
        handle_publish(svc_, ct, std::move(req.body()), std::move(done));
        return;
    }
    std::string key(req["Idempotency-Key"]);
    if (auto q = target->param("idempotency_key")) key = *q;
    handle_channel_publish(svc_, route.param, ct, std::move(req.body()), target->param("event").value_or(""), key,
                           std::move(done));
}

std::optional<std::vector<std::string>> http_session::stream_channels(const request_target& target, request& req,
                                                                   bool required) {
    auto channels = target.params("channel");
    auto fail = [&](const model::error& e) { reply_error(e, req.version(), false); };
    if (channels.empty() && required) {
        fail(model::errors::missing_channel());
        return std::nullopt;
    }
    for (const auto& c : channels)
        if (auto e = model::validate_channel(c)) {
            fail(*e);
            return std::nullopt;
        }
    std::sort(channels.begin(), channels.end());
    channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
    if (channels.size() > svc_.cfg().limits.max_channels_per_connection) {
        fail(model::errors::too_many_channels(channels.size(), svc_.cfg().limits.max_channels_per_connection));
        return std::nullopt;
    }
    return channels;
}

model::result<auth::identity> http_session::subscriber(const request& req, const request_target& target) const {
    if (kind_ == listener_kind::internal_listener) {
        auth::identity trusted;
        trusted.trusted = true;  // handle() has checked the API key, if one is configured
        return trusted;
    }
    token_sources src{target.param("token"), req[http::field::authorization], req[http::field::cookie],
                      svc_.cfg().auth.token_cookie};
    auto token = subscriber_token(src);
    if (!token) return svc_.access().authenticate(std::nullopt);
    // A cookie is sent by the browser on its own, whichever page asks: only listed origins may use
    // it (a request without Origin is same-origin or not from a browser page).
    const auto origin = req[http::field::origin];
    if (token->from_cookie && !origin.empty() && !auth::origin_listed(origin, svc_.cfg().auth.allowed_origins))
        return model::errors::origin_not_allowed(std::string(origin));
    return svc_.access().authenticate(std::move(token->value));
}

std::optional<model::error> http_session::check_channels(const auth::identity& who,
                                                         const std::vector<std::string>& channels) const {
    for (const auto& c : channels)
        if (auto e = svc_.access().subscribe_refusal(who, c)) return e;
    return std::nullopt;
}

void http_session::count_refusal(const model::error& e, std::string_view what) {
    svc_.metrics.count_auth_refusal(e.code);
    svc_.log.info("conn={} {} refused: {}: {}", id_, what, e.code, e.message);
}

void http_session::refuse(const model::error& e, const request& req) {
    auto target = parse_target(req.target());
    count_refusal(e, std::string(req.method_string()) + " " + std::string(target ? target->path : "?"));
    response res{static_cast<http::status>(e.status), req.version()};
    res.set(http::field::content_type, "application/json");
    if (e.status == 401) res.set(http::field::www_authenticate, "Bearer realm=\"herald\"");
    res.body() = protocol::error_json(e);
    res.keep_alive(false);
    reply(std::move(res));
}

void http_session::start_sse(request& req) {
    auto target = parse_target(req.target());
    auto fail = [&](const model::error& e) { reply_error(e, req.version(), false); };
    auto who = subscriber(req, *target);
    if (!who) {
        refuse(who.err(), req);
        return;
    }
    const auto personal = who->personal_channel();
    auto channels = stream_channels(*target, req, personal.empty());
    if (!channels) return;
    if (auto e = check_channels(*who, *channels)) {
        refuse(*e, req);
        return;
    }
    if (!personal.empty() && !std::binary_search(channels->begin(), channels->end(), personal)) {
        channels->insert(std::lower_bound(channels->begin(), channels->end(), personal), personal);
    }
    sse_params p;
    p.channels = std::move(*channels);
    p.user = who->sub.value_or("");
    p.exp_ms = who->exp_ms;
    p.allow_origin = origin_;
    auto envelope = target->param("envelope");
    if (envelope && *envelope != "json" && *envelope != "none") {
        fail(model::errors::invalid_envelope(*envelope));
        return;
    }
    p.envelope = envelope && *envelope == "json";
    if (auto since = target->param("since")) {
        auto s = node::parse_since(*since);
        if (!s) {
            fail(model::errors::invalid_cursor(*since));
            return;
        }
        p.since = std::move(*s);
    }
    if (auto last = req.find("Last-Event-ID"); last != req.end() && !last->value().empty()) {
        // A browser resends this on its own when it reconnects, with the URL (and its since=)
        // unchanged: the newer Last-Event-ID wins, and a bad one opens the stream with herald.reset.
        auto s = node::parse_since(last->value());
        if (s)
            p.since = std::move(*s);
        else
            p.since.mode = node::since_mode::bad_cursor;
    }
    p.origin = connection_origin::capture(stream_.socket(), kind_);
    handed_off_ = true;
    closed_ = true;
    auto sock = stream_.release_socket();
    home_.remove(shared_from_this());
    svc_.log.debug("conn={} sse subscribe user={} channels={}", id_, p.user.empty() ? "-" : p.user, join(p.channels));
    auto session = std::make_shared<sse_session>(svc_, home_, std::move(sock), id_, std::move(p));
    session->start();
}

void http_session::start_ws(request& req) {
    auto target = parse_target(req.target());
    protocol::ws_upgrade_headers h{req.method_string(), req.version(), req[http::field::upgrade],
                                   req[http::field::connection], req[http::field::sec_websocket_key],
                                   req[http::field::sec_websocket_version]};
    if (auto e = protocol::check_ws_upgrade(h)) {
        svc_.metrics.ws_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        response res{static_cast<http::status>(e->status), req.version()};
        res.set(http::field::content_type, "application/json");
        if (e->status == 426) res.set(http::field::sec_websocket_version, "13");
        res.body() = protocol::error_json(*e);
        res.keep_alive(false);
        reply(std::move(res));
        return;
    }
    auto channels = stream_channels(*target, req, false);
    if (!channels) {
        svc_.metrics.ws_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ws_params p;
    // Auth refusals upgrade and then close with a code, because a browser's WebSocket never sees
    // an HTTP error: 4002 for an expired token (get a new one), 4100 for the rest.
    auto who = subscriber(req, *target);
    if (!who) {
        count_refusal(who.err(), "websocket upgrade");
        const auto& code = who.err().code;
        p.refusal = {code == "token_expired"        ? model::disconnects::token_expired
                     : code == "origin_not_allowed" ? model::disconnects::origin_not_allowed
                                                    : model::disconnects::forbidden,
                     who.err().message};
        channels->clear();
    } else if (auto e = check_channels(*who, *channels)) {
        count_refusal(*e, "websocket upgrade");
        p.refusal = {model::disconnects::forbidden, e->message};
        channels->clear();
    } else {
        p.who = std::move(*who);
    }
    p.channels = std::move(*channels);
    if (auto since = target->param("since"); since && !p.refusal) {
        auto s = node::parse_since(*since);
        if (!s || p.channels.empty()) {
            svc_.metrics.ws_handshake_failures.fetch_add(1, std::memory_order_relaxed);
            reply_error(p.channels.empty() ? model::errors::bad_request("since= needs channel= in the same query")
                                           : model::errors::invalid_cursor(*since),
                        req.version(), false);
            return;
        }
        p.since = std::move(*s);
    }
    p.accept_key = protocol::ws_accept_key(h.key);
    auto pending = buffer_.data();
    p.initial_bytes.assign(static_cast<const char*>(pending.data()), pending.size());
    p.origin = connection_origin::capture(stream_.socket(), kind_);
    handed_off_ = true;
    closed_ = true;
    auto sock = stream_.release_socket();
    home_.remove(shared_from_this());
    svc_.log.debug("conn={} websocket subscribe user={} channels={}", id_, p.who.sub.value_or("-"), join(p.channels));
    auto session = std::make_shared<ws_session>(svc_, home_, std::move(sock), id_, std::move(p));
    session->start();
}

void http_session::reply_error(const model::error& e, unsigned version, bool keep_alive) {
    response res{static_cast<http::status>(e.status), version};
    res.set(http::field::content_type, "application/json");
    res.body() = protocol::error_json(e);
    res.keep_alive(keep_alive);
    reply(std::move(res));
}

void http_session::reply(response res) {
    if (closed_) return;
    auto code = res.result_int();
    if (code >= 500)
        svc_.metrics.http_errors_5xx.fetch_add(1, std::memory_order_relaxed);
    else if (code >= 400)
        svc_.metrics.http_errors_4xx.fetch_add(1, std::memory_order_relaxed);
    if (!origin_.empty()) {
        res.set(http::field::access_control_allow_origin, origin_);
        if (origin_ != "*") {  // a cookie token: a credentialed client may read the refusal too
            res.set(http::field::access_control_allow_credentials, "true");
            res.set(http::field::vary, "Origin");
        }
    }
    if (stopping_) res.keep_alive(false);
    auto sp = std::make_shared<response>(std::move(res));
    writing_ = true;
    stream_.expires_after(std::chrono::milliseconds(svc_.cfg().limits.request_timeout_ms));
    auto written = [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        if (!ec && !sp->keep_alive() && self->linger_) {
            self->linger();
            return;
        }
        if (ec || !sp->keep_alive()) {
            self->close();
            return;
        }
        self->read_request();
    };
    if (!head_) {
        sp->prepare_payload();
        http::async_write(stream_, *sp, std::move(written));
        return;
    }
    // HEAD (RFC 9110 §9.3.2): the headers a GET would get, then nothing, so the next response on a
    // keep-alive connection starts where the client expects it.
    const auto status = sp->result_int();
    if (status != 204 && status != 304 && (*sp)[http::field::content_type] != "text/event-stream; charset=utf-8")
        sp->content_length(sp->body().size());
    auto sr = std::make_shared<http::response_serializer<http::string_body>>(*sp);
    http::async_write_header(stream_, *sr, [sr, written = std::move(written)](beast::error_code ec, std::size_t n) {
        written(ec, n);
    });
}

void http_session::shutdown() {
    stopping_ = true;
    if (!writing_) close();
}

void http_session::linger() {
    beast::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::milliseconds(std::min<std::int64_t>(svc_.cfg().limits.request_timeout_ms, 2000)));
    discard_input();
}

void http_session::discard_input() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec || self->closed_)
            self->close();
        else
            self->discard_input();
    });
}

void http_session::tick(std::int64_t now_ms) {
    if (!awaiting_ || closed_ || now_ms < reply_deadline_ms_) return;
    // The broker has not answered (it may hang): answer for it, and ignore its late result.
    awaiting_ = false;
    ++call_;
    svc_.metrics.reply_timeouts.fetch_add(1, std::memory_order_relaxed);
    svc_.log.warn("conn={} no answer from the broker within {} ms; replied 503", id_, svc_.cfg().limits.request_timeout_ms);
    reply_error(model::errors::reply_timeout(svc_.cfg().limits.request_timeout_ms), awaiting_version_, false);
}

void http_session::close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
    svc_.metrics.connection_closed(kind_ == listener_kind::internal_listener);
    home_.remove(shared_from_this());
}

}  // namespace herald::sidecar
