// Event stream client: raw socket reads after the response head, fed to the SSE parser.
#include "lib/client/event_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <poll.h>
#include <thread>

namespace herald::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

std::string event_stream::target(bool first) const {
    std::string t = "/v1/sse?";
    for (const auto& c : req_.channels) t.append("channel=").append(url_encode(c)).append("&");
    if (req_.envelope) t.append("envelope=json&");
    if (first && !req_.since.empty()) t.append("since=").append(url_encode(req_.since)).append("&");
    if (!req_.token.empty()) t.append("token=").append(url_encode(req_.token)).append("&");
    t.pop_back();
    return t;
}

std::optional<model::error> run_with_backoff(
    const stream_request& req, const std::function<void(const std::string&)>& on_notice, const std::atomic<bool>* stop,
    const std::function<attempt_outcome(model::error& fatal, bool& got_bytes)>& attempt) {
    auto backoff = req.backoff_min;
    for (;;) {
        model::error fatal;
        bool got_bytes = false;
        auto r = attempt(fatal, got_bytes);
        if (r == attempt_outcome::stopped) return std::nullopt;
        if (r == attempt_outcome::fatal) return fatal;
        if (got_bytes) backoff = req.backoff_min;
        on_notice("connection lost; reconnecting in " + std::to_string(backoff.count()) + " ms");
        auto until = std::chrono::steady_clock::now() + backoff;
        while (std::chrono::steady_clock::now() < until) {
            if (stop && stop->load()) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        backoff = std::min(backoff * 2, req.backoff_max);
    }
}

std::optional<model::error> event_stream::run(const event_fn& on_event, const notice_fn& on_notice,
                                              const std::atomic<bool>* stop) {
    bool first = true;
    return run_with_backoff(req_, on_notice, stop, [&](model::error& fatal, bool& got_bytes) {
        auto r = once(on_event, on_notice, stop, fatal, got_bytes);
        if (r == outcome::dropped && first && last_id_.empty()) last_id_ = req_.since;
        first = false;
        return r;
    });
}

event_stream::outcome event_stream::once(const event_fn& on_event, const notice_fn& on_notice,
                                         const std::atomic<bool>* stop, model::error& fatal, bool& got_bytes) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(req_.url.host, req_.url.port, ec);
    if (ec) {
        on_notice("cannot resolve " + req_.url.text + ": " + ec.message());
        return outcome::dropped;
    }
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(endpoints, ec);
    if (ec) {
        on_notice("cannot connect to " + req_.url.text + ": " + ec.message());
        return outcome::dropped;
    }
    http::request<http::empty_body> req{http::verb::get, target(last_id_.empty()), 11};
    req.set(http::field::host, req_.url.host + ":" + req_.url.port);
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::user_agent, std::string("herald-cli/") + HERALD_VERSION);
    for (const auto& [k, v] : req_.headers) req.set(k, v);
    if (!last_id_.empty()) req.set("Last-Event-ID", last_id_);
    http::write(stream, req, ec);
    if (ec) return outcome::dropped;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    http::read_header(stream, buffer, parser, ec);
    if (ec) return outcome::dropped;
    if (parser.get().result_int() != 200) {
        http::read(stream, buffer, parser, ec);
        http_reply reply{parser.get().result_int(), parser.get().body(), {}};
        fatal = reply_error(reply);
        return reply.status >= 400 && reply.status < 500 ? outcome::fatal : outcome::dropped;
    }
    protocol::sse_parser sse;
    auto consume = [&](std::string_view bytes) {
        auto messages = sse.feed(bytes);
        for (auto& m : messages) {
            if (!m.id.empty()) last_id_ = m.id;
            if (!on_event(m)) return false;
        }
        // An id-only block (the stream's opening position) sets the resume point without an event.
        if (!sse.last_event_id().empty()) last_id_ = sse.last_event_id();
        return true;
    };
    got_bytes = true;
    std::string_view leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (!consume(leftover)) return outcome::stopped;
    // Past the head the body is a plain byte stream until close: read the bare socket, polling
    // so that a stop request and the idle deadline are noticed.
    stream.expires_never();
    auto socket = stream.release_socket();
    auto idle_deadline = std::chrono::steady_clock::now() + req_.idle_timeout;
    char chunk[16384];
    for (;;) {
        if (stop && stop->load()) return outcome::stopped;
        pollfd pfd{socket.native_handle(), POLLIN, 0};
        int ready = ::poll(&pfd, 1, 500);
        if (ready == 0) {
            if (std::chrono::steady_clock::now() > idle_deadline) {
                on_notice("no data or keepalive for " + std::to_string(req_.idle_timeout.count()) + " ms");
                return outcome::dropped;
            }
            continue;
        }
        if (ready < 0 && errno == EINTR) continue;
        std::size_t n = socket.read_some(asio::buffer(chunk), ec);
        if (ec || n == 0) return outcome::dropped;
        idle_deadline = std::chrono::steady_clock::now() + req_.idle_timeout;
        if (!consume(std::string_view(chunk, n))) return outcome::stopped;
    }
}

}  // namespace herald::client
