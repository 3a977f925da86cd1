// HTTP session: bounded request reading, guards, routing, JSON replies (headers only for HEAD),
// reply deadlines; stream requests go through lib/http/stream_admission and are handed off to
// SSE and WebSocket sessions. Runs on the connection's shard thread.
#include "sidecar/http_session.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>

#include "lib/auth/browser_rules.hpp"
#include "lib/http/credentials.hpp"
#include "lib/http/stream_admission.hpp"
#include "lib/protocol/json_codec.hpp"
#include "lib/protocol/ws_handshake.hpp"
#include "sidecar/api_dispatch.hpp"
#include "sidecar/api_probes.hpp"
#include "sidecar/request_guard.hpp"
#include "sidecar/response_bytes.hpp"
#include "sidecar/sse_session.hpp"
#include "sidecar/ws_session.hpp"

namespace herald::sidecar {

using herald::http::request_target;
using herald::http::route_id;

http_session::http_session(services& svc, shard& home, shard_socket socket, listener_kind kind,
                           std::uint64_t id)
    : svc_(svc), home_(home), socket_(std::move(socket)), kind_(kind), id_(id) {}

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
    parser_.reset();
    arena_.release();
    parser_.emplace(arena_);
    parser_->header_limit(static_cast<std::uint32_t>(svc_.cfg().limits.max_header_bytes));
    parser_->body_limit(svc_.cfg().limits.max_body_bytes);
    parser_->eager(true);
    arm(svc_.cfg().limits.request_timeout_ms);
    reading_request_ = true;
    parse_buffered();
}

void http_session::parse_buffered() {
    while (buffer_.size() != 0) {
        beast::error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_more) break;
        if (ec || parser_->is_done()) {
            on_read(ec);
            return;
        }
        if (used == 0) break;
    }
    socket_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 64 * 1024)),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_bytes(ec, n); });
}

void http_session::on_bytes(beast::error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::eof) {
        // The client stopped sending: a request cut short is partial_message, none at all end_of_stream.
        if (!parser_->got_some()) {
            on_read(http::error::end_of_stream);
            return;
        }
        beast::error_code eof;
        parser_->put_eof(eof);
        on_read(eof ? eof : beast::error_code(http::error::partial_message));
        return;
    }
    if (ec) {
        on_read(ec);
        return;
    }
    buffer_.commit(n);
    parse_buffered();
}

void http_session::on_read(beast::error_code ec) {
    if (closed_) return;
    io_deadline_ms_ = 0;
    reading_request_ = false;
    if (!ec) {
        svc_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
        handle(parser_->get());
        return;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
        close();
        return;
    }
    linger_ = true;  // part of the request may still be unread
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
    reply_error(model::errors::bad_request("malformed HTTP request: " + ec.message()), 11, false);
}

namespace {
std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
    return out;
}
}  // namespace

void http_session::handle(request& req) {
    head_ = req.method == http::verb::head;
    const auto& fields = req.fields;
    // CORS on the public listener only (lib/auth/browser_rules.hpp).
    origin_ = kind_ == listener_kind::public_listener
                  ? auth::allow_origin_value(fields.origin, svc_.cfg().auth.allowed_origins)
                  : std::string();
    if (auto e = guard_request(req, kind_, svc_.cfg(), svc_.access())) {
        if (e->status != 400) {
            refuse(*e, req);
        } else {
            reply_error(*e, req.version, false);
        }
        return;
    }
    auto target = herald::http::parse_target(req.target);
    if (!target) {
        reply_error(model::errors::bad_request("malformed percent-escape in '" + std::string(req.target) + "'"),
                    req.version, req.keep_alive);
        return;
    }
    auto route = herald::http::match_route(kind_, req.method_string, target->path);
    if (kind_ == listener_kind::internal_listener && route.needs_api_key) {
        if (auto e = svc_.access().check_api_key(herald::http::bearer_token(fields.authorization))) {
            refuse(*e, req);
            return;
        }
    }
    auto answer = [&](probe_reply p) {
        reply({p.status, req.version, p.content_type, std::move(p.body), req.keep_alive, {}});
    };
    switch (route.id) {
        case route_id::none: {
            http_reply res{static_cast<unsigned>(route.error.status), req.version, "application/json", protocol::error_json(route.error),
                           req.keep_alive, {}};
            if (!route.allow.empty()) res.fields.emplace_back("Allow", route.allow);
            reply(std::move(res));
            return;
        }
        case route_id::cors_preflight: {
            http_reply res{204, req.version, {}, {}, req.keep_alive, {{"Allow", "GET, HEAD, POST, OPTIONS"}}};
            if (!origin_.empty()) {  // ACAO (and credentials) are added by reply()
                res.fields.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                res.fields.emplace_back("Access-Control-Allow-Headers",
                                        "Authorization, Content-Type, Last-Event-ID, Idempotency-Key");
                res.fields.emplace_back("Access-Control-Max-Age", "600");
            }
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
            start_sse(req, std::move(*target));
            return;
        case route_id::ws:
            start_ws(req, std::move(*target));
            return;
        default:
            call_api(req, std::move(route), std::move(*target));
            return;
    }
}

void http_session::call_api(request& req, herald::http::route_match route, request_target target) {
    // The reply may come from the broker's thread; bring it back to this shard.
    const auto& fields = req.fields;
    auto version = req.version;
    auto keep_alive = req.keep_alive;
    const auto call = ++call_;
    awaiting_ = true;
    awaiting_version_ = version;
    reply_deadline_ms_ = home_.coarse_now() + svc_.cfg().limits.request_timeout_ms;
    auto done = [self = shared_from_this(), version, keep_alive, call](api_reply r) {
        asio::dispatch(self->home_.io(), [self, version, keep_alive, call, r = std::move(r)]() mutable {
            if (!self->awaiting_ || self->call_ != call) return;  // answered by the deadline already
            self->awaiting_ = false;
            self->reply({r.status, version, "application/json", std::move(r.body), keep_alive, {}});
        });
    };
    dispatch_api(svc_,
                 {std::move(route), std::move(target), fields.content_type,
                  std::string(fields.idempotency_key), std::move(req.body)},
                 std::move(done));
}

herald::http::stream_request http_session::stream_request_of(const request_fields& fields, request_target target) const {
    herald::http::stream_request r;
    r.listener = kind_;
    r.target = std::move(target);
    r.authorization = fields.authorization;
    r.cookie = fields.cookie;
    r.origin = fields.origin;
    r.last_event_id = fields.last_event_id;
    return r;
}

void http_session::count_refusal(const model::error& e, std::string_view what) {
    svc_.metrics.count_auth_refusal(e.code);
    svc_.log.info("conn={} {} refused: {}: {}", id_, what, e.code, e.message);
}

void http_session::refuse(const model::error& e, const request& req) {
    auto target = herald::http::parse_target(req.target);
    count_refusal(e, std::string(req.method_string) + " " + std::string(target ? target->path : "?"));
    http_reply res{static_cast<unsigned>(e.status), req.version, "application/json", protocol::error_json(e), false, {}};
    if (e.status == 401) res.fields.emplace_back("WWW-Authenticate", "Bearer realm=\"herald\"");
    reply(std::move(res));
}

shard_socket http_session::hand_off() {
    handed_off_ = true;
    closed_ = true;
    auto sock = std::move(socket_);
    home_.remove(shared_from_this());
    return sock;
}

void http_session::start_sse(request& req, request_target target) {
    auto decision = herald::http::admit_sse(stream_request_of(req.fields, std::move(target)), svc_.cfg(), svc_.access());
    if (const auto* no = std::get_if<herald::http::stream_refusal>(&decision)) {
        if (no->auth)
            refuse(no->error, req);
        else
            reply_error(no->error, req.version, false);
        return;
    }
    auto& admitted = std::get<herald::http::sse_admission>(decision);
    sse_params p;
    p.channels = std::move(admitted.channels);
    p.since = std::move(admitted.since);
    p.envelope = admitted.envelope;
    p.allow_origin = origin_;
    p.user = std::move(admitted.user);
    p.exp_ms = admitted.exp_ms;
    p.origin = connection_origin::capture(socket_, kind_);
    svc_.log.debug("conn={} sse subscribe user={} channels={}", id_, p.user.empty() ? "-" : p.user, join(p.channels));
    std::make_shared<sse_session>(svc_, home_, hand_off(), id_, std::move(p))->start();
}

void http_session::start_ws(request& req, request_target target) {
    const auto& f = req.fields;
    protocol::ws_upgrade_headers h{req.method_string, req.version, f.upgrade, f.connection, f.sec_websocket_key,
                                   f.sec_websocket_version};
    if (auto e = protocol::check_ws_upgrade(h)) {
        svc_.metrics.ws_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        http_reply res{static_cast<unsigned>(e->status), req.version, "application/json", protocol::error_json(*e), false, {}};
        if (e->status == 426) res.fields.emplace_back("Sec-WebSocket-Version", "13");
        reply(std::move(res));
        return;
    }
    auto decision = herald::http::admit_ws(stream_request_of(f, std::move(target)), svc_.cfg(), svc_.access());
    if (const auto* no = std::get_if<herald::http::stream_refusal>(&decision)) {
        svc_.metrics.ws_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        reply_error(no->error, req.version, false);
        return;
    }
    auto& admitted = std::get<herald::http::ws_admission>(decision);
    ws_params p;
    if (admitted.refusal) {
        count_refusal(admitted.refusal->error, "websocket upgrade");
        p.refusal = {admitted.refusal->close, admitted.refusal->error.message};
    }
    p.channels = std::move(admitted.channels);
    p.since = std::move(admitted.since);
    p.who = std::move(admitted.who);
    p.accept_key = protocol::ws_accept_key(h.key);
    auto pending = buffer_.data();
    p.initial_bytes.assign(static_cast<const char*>(pending.data()), pending.size());
    p.origin = connection_origin::capture(socket_, kind_);
    svc_.log.debug("conn={} websocket subscribe user={} channels={}", id_, p.who.sub.value_or("-"), join(p.channels));
    std::make_shared<ws_session>(svc_, home_, hand_off(), id_, std::move(p))->start();
}

void http_session::reply_error(const model::error& e, unsigned version, bool keep_alive) {
    reply({static_cast<unsigned>(e.status), version, "application/json", protocol::error_json(e), keep_alive, {}});
}

void http_session::reply(http_reply res) {
    if (closed_ || writing_) return;  // one reply at a time; a second would be a bug upstream
    const auto code = res.status;
    if (code >= 500)
        svc_.metrics.http_errors_5xx.fetch_add(1, std::memory_order_relaxed);
    else if (code >= 400)
        svc_.metrics.http_errors_4xx.fetch_add(1, std::memory_order_relaxed);
    if (stopping_) res.keep_alive = false;
    const bool keep_alive = res.keep_alive;
    render_reply(out_, res, head_, origin_);
    writing_ = true;
    arm(svc_.cfg().limits.request_timeout_ms);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        self->io_deadline_ms_ = 0;
        if (!ec && !keep_alive && self->linger_) {
            self->linger();
            return;
        }
        if (ec || !keep_alive) {
            self->close();
            return;
        }
        self->read_request();
    });
}

void http_session::shutdown() {
    stopping_ = true;
    if (!writing_) close();
}

void http_session::linger() {
    beast::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    arm(std::min<std::int64_t>(svc_.cfg().limits.request_timeout_ms, 2000));
    discard_input();
}

void http_session::discard_input() {
    buffer_.clear();
    socket_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec || self->closed_)
            self->close();
        else
            self->discard_input();
    });
}

void http_session::arm(std::int64_t ms) { io_deadline_ms_ = shard::now_ms() + ms; }

void http_session::tick(std::int64_t now_ms) {
    if (closed_) return;
    if (io_deadline_ms_ != 0 && now_ms >= io_deadline_ms_) {
        if (reading_request_) {
            svc_.metrics.request_timeouts.fetch_add(1, std::memory_order_relaxed);
            if (parser_ && parser_->got_some())
                svc_.log.info("conn={} request not complete within {} ms, closed", id_,
                              svc_.cfg().limits.request_timeout_ms);
        }
        close();  // the pending operation ends with operation_aborted
        return;
    }
    if (!awaiting_ || now_ms < reply_deadline_ms_) return;
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
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    svc_.metrics.connection_closed(kind_ == listener_kind::internal_listener);
    home_.remove(shared_from_this());
}

}  // namespace herald::sidecar
