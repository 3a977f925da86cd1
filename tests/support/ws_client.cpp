// ws_client: Beast websocket::stream on a private io_context thread; one read always pending,
// writes (text, ping, close) queued and sent one at a time; results shared under a mutex.
#include "tests/support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "lib/client/http_client.hpp"

namespace herald::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {
struct outgoing {
    enum kind_t { text, ping, close } kind;
    std::string payload;
    std::uint16_t code = 0;
};
}  // namespace

struct ws_client::impl {
    asio::io_context io{1};
    websocket::stream<asio::ip::tcp::socket> ws{io};
    websocket::response_type response;
    beast::flat_buffer buffer;
    std::thread thread;
    bool ok = false;
    std::string error;

    // I/O thread only.
    std::deque<outgoing> queue;
    bool writing = false;

    mutable std::mutex mutex;
    std::condition_variable cv;
    std::vector<json> messages;
    std::size_t pings = 0;
    std::vector<std::string> pongs;
    bool closed = false;
    std::optional<std::uint16_t> code;
    std::string reason;

    void read() {
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t) { on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            std::lock_guard lock(mutex);
            const auto& r = ws.reason();
            if (r.code != websocket::close_code::none) {
                code = static_cast<std::uint16_t>(r.code);
                reason = std::string(r.reason.data(), r.reason.size());
            }
            closed = true;
            cv.notify_all();
            beast::error_code ignored;
            beast::get_lowest_layer(ws).close(ignored);
            return;
        }
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded()) j = json{{"unparsed", text}};
        {
            std::lock_guard lock(mutex);
            messages.push_back(std::move(j));
            cv.notify_all();
        }
        read();
    }

    void enqueue(outgoing o) {
        asio::post(io, [this, o = std::move(o)]() mutable {
            queue.push_back(std::move(o));
            if (!writing) write_next();
        });
    }

    void write_next() {
        if (queue.empty()) {
            writing = false;
            return;
        }
        writing = true;
        auto& front = queue.front();
        auto done = [this](beast::error_code, std::size_t = 0) {
            queue.pop_front();
            write_next();
        };
        switch (front.kind) {
            case outgoing::text:
                ws.text(true);
                ws.async_write(asio::buffer(front.payload), done);
                return;
            case outgoing::ping:
                ws.async_ping(websocket::ping_data(front.payload.c_str()), [done](beast::error_code ec) { done(ec); });
                return;
            case outgoing::close:
                ws.async_close(websocket::close_reason(front.code), [done](beast::error_code ec) { done(ec); });
                return;
        }
    }

    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, pred);
    }
};

ws_client::ws_client(unsigned short port, const std::string& target) : impl_(std::make_unique<impl>()) {
    auto& d = *impl_;
    beast::error_code ec;
    asio::ip::tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
    beast::get_lowest_layer(d.ws).connect(ep, ec);
    if (ec) {
        d.error = "connect: " + ec.message();
        return;
    }
    d.ws.handshake(d.response, "127.0.0.1:" + std::to_string(port), target, ec);
    if (ec) {
        d.error = "handshake: " + ec.message() + " (status " + std::to_string(d.response.result_int()) + ", body " +
                  d.response.body() + ")";
        return;
    }
    d.ok = true;
    d.ws.control_callback([&d](websocket::frame_type kind, beast::string_view payload) {
        std::lock_guard lock(d.mutex);
        if (kind == websocket::frame_type::ping) ++d.pings;
        if (kind == websocket::frame_type::pong) d.pongs.emplace_back(payload.data(), payload.size());
        d.cv.notify_all();
    });
    d.read();
    d.thread = std::thread([&d] { d.io.run(); });
}

ws_client::~ws_client() {
    auto& d = *impl_;
    if (!d.thread.joinable()) return;
    asio::post(d.io, [&d] {
        beast::error_code ignored;
        beast::get_lowest_layer(d.ws).close(ignored);
    });
    if (!d.wait([&] { return d.closed; }, 5s)) d.io.stop();
    d.thread.join();
}

bool ws_client::ok() const { return impl_->ok; }
const std::string& ws_client::error() const { return impl_->error; }
unsigned ws_client::status() const { return impl_->response.result_int(); }
std::string ws_client::header(const std::string& name) const { return std::string(impl_->response[name]); }

bool ws_client::send_text(const std::string& text) {
    if (!ok() || closed()) return false;
    impl_->enqueue({outgoing::text, text});
    return true;
}

bool ws_client::send_json(const json& j) { return send_text(j.dump()); }

bool ws_client::ping(const std::string& payload) {
    if (!ok() || closed()) return false;
    impl_->enqueue({outgoing::ping, payload});
    return true;
}

void ws_client::close(std::uint16_t code) {
    if (ok() && !closed()) impl_->enqueue({outgoing::close, {}, code});
}

std::vector<json> ws_client::messages() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->messages;
}

std::size_t ws_client::message_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->messages.size();
}

bool ws_client::wait_messages(std::size_t n, std::chrono::milliseconds timeout) {
    return impl_->wait([&] { return impl_->messages.size() >= n; }, timeout);
}

std::optional<json> ws_client::wait_for(const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout) {
    std::optional<json> found;
    std::size_t checked = 0;
    impl_->wait(
        [&] {
            for (; checked < impl_->messages.size(); ++checked)
                if (pred(impl_->messages[checked])) {
                    found = impl_->messages[checked];
                    return true;
                }
            return false;
        },
        timeout);
    return found;
}

std::optional<json> ws_client::wait_op(const std::string& op, const json& id, std::chrono::milliseconds timeout) {
    return wait_for(
        [&](const json& m) { return is_op(m, op) && (id.is_null() || (m.contains("id") && m["id"] == id)); },
        timeout);
}

std::vector<json> ws_client::events(const std::string& channel) const {
    std::lock_guard lock(impl_->mutex);
    std::vector<json> out;
    for (const auto& m : impl_->messages)
        if (is_op(m, "event") && (channel.empty() || str_member(m, "channel") == channel)) out.push_back(m);
    return out;
}

bool ws_client::wait_events(std::size_t n, const std::string& channel, std::chrono::milliseconds timeout) {
    return impl_->wait(
        [&] {
            std::size_t count = 0;
            for (const auto& m : impl_->messages)
                if (is_op(m, "event") && (channel.empty() || str_member(m, "channel") == channel)) ++count;
            return count >= n;
        },
        timeout);
}

std::size_t ws_client::pings_received() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->pings;
}

std::vector<std::string> ws_client::pongs_received() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->pongs;
}

bool ws_client::wait_pongs(std::size_t n, std::chrono::milliseconds timeout) {
    return impl_->wait([&] { return impl_->pongs.size() >= n; }, timeout);
}

bool ws_client::wait_closed(std::chrono::milliseconds timeout) {
    if (!ok()) return true;
    return impl_->wait([&] { return impl_->closed; }, timeout);
}

bool ws_client::closed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->closed;
}

std::optional<std::uint16_t> ws_client::close_code() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->code;
}

std::string ws_client::close_reason() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->reason;
}

bool is_op(const json& m, const std::string& op) { return str_member(m, "op") == op; }

std::string str_member(const json& m, const std::string& key) {
    if (!m.is_object()) return {};
    auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ws_target(const std::vector<std::string>& channels, const std::string& extra) {
    std::string t = "/v1/ws";
    char sep = '?';
    for (const auto& c : channels) {
        t += sep + std::string("channel=") + client::url_encode(c);
        sep = '&';
    }
    if (!extra.empty()) t += sep + extra;
    return t;
}

}  // namespace herald::test
