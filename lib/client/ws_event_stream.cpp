// WebSocket subscription client on Beast: async reads driven in short slices so that a stop
// request and the idle deadline are noticed; positions kept per channel for resubscribing.
#include "lib/client/ws_event_stream.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "lib/protocol/cursor.hpp"

namespace herald::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using nlohmann::json;

ws_event_stream::ws_event_stream(stream_request req) : req_(std::move(req)) {
    std::sort(req_.channels.begin(), req_.channels.end());
    req_.channels.erase(std::unique(req_.channels.begin(), req_.channels.end()), req_.channels.end());
    positions_.resize(req_.channels.size());
}

std::string ws_event_stream::first_target() const {
    std::string t = "/v1/ws?";
    for (const auto& c : req_.channels) t.append("channel=").append(url_encode(c)).append("&");
    if (!req_.since.empty()) t.append("since=").append(url_encode(req_.since)).append("&");
    if (!req_.token.empty()) t.append("token=").append(url_encode(req_.token)).append("&");
    t.pop_back();
    return t;
}

std::string ws_event_stream::resume_target() const {
    std::string t = "/v1/ws";
    if (req_.token.empty()) return t;
    t.append("?token=").append(url_encode(req_.token));
    auto it = std::lower_bound(req_.channels.begin(), req_.channels.end(), personal_);
    if (personal_.empty() || it == req_.channels.end() || *it != personal_) return t;
    const auto& p = positions_[static_cast<std::size_t>(it - req_.channels.begin())];
    protocol::cursor c;
    c.names_fp = protocol::names_fingerprint({personal_});
    c.epochs_fp = protocol::epochs_fingerprint({p.epoch});
    c.offsets = {p.offset};
    t.append("&channel=").append(url_encode(personal_)).append("&since=").append(url_encode(protocol::encode_cursor(c)));
    return t;
}

std::string ws_event_stream::resubscribe_command(std::size_t i) const {
    json cmd{{"op", "subscribe"}, {"id", "resume-" + std::to_string(i)}, {"channel", req_.channels[i]}};
    cmd["since"] = {{"epoch", positions_[i].epoch}, {"offset", positions_[i].offset}};
    return cmd.dump();
}

void ws_event_stream::update_cursor() {
    if (!positioned_) {
        positioned_ = std::all_of(positions_.begin(), positions_.end(), [](const position& p) { return !p.epoch.empty(); });
        if (!positioned_) return;
    }
    protocol::cursor c;
    std::vector<std::string> epochs;
    for (const auto& p : positions_) {
        epochs.push_back(p.epoch);
        c.offsets.push_back(p.offset);
    }
    c.names_fp = protocol::names_fingerprint(req_.channels);
    c.epochs_fp = protocol::epochs_fingerprint(epochs);
    last_id_ = protocol::encode_cursor(c);
}

std::optional<model::error> ws_event_stream::run(const event_fn& on_event, const notice_fn& on_notice,
                                                 const std::atomic<bool>* stop) {
    if (last_id_.empty()) last_id_ = req_.since;
    return run_with_backoff(req_, on_notice, stop, [&](model::error& fatal, bool& got_bytes) {
        return once(on_event, on_notice, stop, fatal, got_bytes);
    });
}

bool ws_event_stream::on_message(const std::string& text, const event_fn& on_event, const notice_fn& on_notice,
                                 outcome& result, model::error& fatal) {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return true;
    const auto op = j.value("op", "");
    auto index = [&]() -> std::optional<std::size_t> {
        auto ch = j.value("channel", "");
        auto it = std::lower_bound(req_.channels.begin(), req_.channels.end(), ch);
        if (it == req_.channels.end() || *it != ch) return std::nullopt;
        return static_cast<std::size_t>(it - req_.channels.begin());
    };
    if (op == "subscribed" && !index() && j.value("id", json()).is_null()) {
        // A channel the server subscribed for us (the token's user: channel): follow it too.
        auto ch = j.value("channel", "");
        auto it = std::lower_bound(req_.channels.begin(), req_.channels.end(), ch);
        positions_.insert(positions_.begin() + (it - req_.channels.begin()), position{});
        req_.channels.insert(it, ch);
        personal_ = ch;
    }
    if (op == "subscribed" || op == "reset") {
        auto i = index();
        if (!i) return true;
        positions_[*i] = {j.value("epoch", ""), j.value("offset", std::uint64_t{0})};
        update_cursor();
        if (op == "subscribed") return true;
        protocol::sse_message m;
        m.id = last_id_;
        m.event = "herald.reset";
        m.data = json{{"channel", j.value("channel", "")}, {"reason", j.value("reason", "")}}.dump();
        if (!on_event(m)) {
            result = outcome::stopped;
            return false;
        }
        return true;
    }
    if (op == "event") {
        auto i = index();
        if (!i) return true;
        positions_[*i] = {j.value("epoch", ""), j.value("offset", std::uint64_t{0})};
        update_cursor();
        protocol::sse_message m;
        m.id = last_id_;
        m.event = j.value("event", "");
        m.data = text;  // the same members as an SSE envelope (channel, offset, epoch, event, data)
        if (!on_event(m)) {
            result = outcome::stopped;
            return false;
        }
        return true;
    }
    if (op == "error") {
        fatal = {j.value("code", "error"), 0, j.value("message", "the server refused a command"),
                 j.value("hint", "")};
        on_notice("server error: " + fatal.message);
        result = outcome::fatal;
        return false;
    }
    return true;
}

ws_event_stream::outcome ws_event_stream::once(const event_fn& on_event, const notice_fn& on_notice,
                                               const std::atomic<bool>* stop, model::error& fatal, bool& got_bytes) {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws(io);
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(req_.url.host, req_.url.port, ec);
    if (ec) {
        on_notice("cannot resolve " + req_.url.text + ": " + ec.message());
        return outcome::dropped;
    }
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
    beast::get_lowest_layer(ws).connect(endpoints, ec);
    if (ec) {
        on_notice("cannot connect to " + req_.url.text + ": " + ec.message());
        return outcome::dropped;
    }
    ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& r) {
        r.set(http::field::user_agent, std::string("herald-cli/") + HERALD_VERSION);
        for (const auto& [k, v] : req_.headers) r.set(k, v);
    }));
    const bool resuming = positioned_;
    websocket::response_type res;
    ws.handshake(res, req_.url.host + ":" + req_.url.port, resuming ? resume_target() : first_target(), ec);
    if (ec) {
        if (res.result_int() >= 400 && res.result_int() < 500) {
            fatal = reply_error(http_reply{res.result_int(), res.body(), {}});
            return outcome::fatal;
        }
        on_notice("WebSocket handshake with " + req_.url.text + " failed: " + ec.message());
        return outcome::dropped;
    }
    beast::get_lowest_layer(ws).expires_never();
    got_bytes = true;
    if (resuming)
        for (std::size_t i = 0; i < req_.channels.size(); ++i) {
            if (req_.channels[i] == personal_ && !req_.token.empty()) continue;  // resumed in the query
            ws.write(asio::buffer(resubscribe_command(i)), ec);
            if (ec) return outcome::dropped;
        }

    auto idle_deadline = std::chrono::steady_clock::now() + req_.idle_timeout;
    ws.control_callback([&](websocket::frame_type, beast::string_view) {
        idle_deadline = std::chrono::steady_clock::now() + req_.idle_timeout;
    });
    beast::flat_buffer buffer;
    for (;;) {
        bool done = false;
        beast::error_code read_ec;
        ws.async_read(buffer, [&](beast::error_code e, std::size_t) {
            read_ec = e;
            done = true;
        });
        while (!done) {
            io.restart();
            io.run_for(std::chrono::milliseconds(200));
            if (done) break;
            if ((stop && stop->load()) || std::chrono::steady_clock::now() > idle_deadline) {
                if (!(stop && stop->load()))
                    on_notice("no data or ping for " + std::to_string(req_.idle_timeout.count()) + " ms");
                beast::get_lowest_layer(ws).cancel();
                io.restart();
                io.run_for(std::chrono::milliseconds(500));
                return stop && stop->load() ? outcome::stopped : outcome::dropped;
            }
        }
        if (read_ec) {
            if (read_ec == websocket::error::closed) {
                auto reason = ws.reason();
                on_notice("server closed the connection: " + std::to_string(reason.code) + " " +
                          std::string(reason.reason.data(), reason.reason.size()));
                if (reason.code >= 4100 && reason.code < 4200) {
                    fatal = {"closed", 0,
                             "the server closed the stream with " + std::to_string(reason.code) + " (" +
                                 std::string(reason.reason.data(), reason.reason.size()) + ")",
                             "this close code means: do not reconnect"};
                    return outcome::fatal;
                }
            }
            return outcome::dropped;
        }
        idle_deadline = std::chrono::steady_clock::now() + req_.idle_timeout;
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        outcome result = outcome::dropped;
        if (!on_message(text, on_event, on_notice, result, fatal)) return result;
    }
}

}  // namespace herald::client
