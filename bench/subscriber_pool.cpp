// subscriber_pool: connects, reads and parses the benchmark's SSE and WebSocket subscribers.
// Reads go into one shared buffer; a subscriber keeps bytes only for a cut line or frame.
#include "bench/subscriber_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_common.hpp"
#include "bench/ws_wire.hpp"

namespace herald::bench {

namespace {

std::optional<std::int64_t> field(std::string_view text, std::string_view key) {
    auto k = text.find(key);
    if (k == std::string_view::npos) return std::nullopt;
    std::int64_t v = 0;
    auto b = text.data() + k + key.size();
    auto r = std::from_chars(b, text.data() + text.size(), v);
    if (r.ec != std::errc()) return std::nullopt;
    return v;
}

}  // namespace

subscriber_pool::subscriber_pool(const options& o, int port, std::size_t capacity)
    : o_(o), port_(port), subs_(std::max(capacity, o.subscribers)) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
    for (std::size_t i = 0; i < subs_.size(); ++i)
        subs_[i].ws = o.kind == transport::ws || (o.kind == transport::mix && i % 2 == 1);
    stats.event_count.assign(o.events, 0);
    stats.event_max_ns.assign(o.events, 0);
    stats.latencies_us.reserve(std::min<std::size_t>(o.subscribers * o.events, 50'000'000));
    sse_request_ = "GET /v1/sse?channel=" + o.channel +
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nUser-Agent: fanout_bench\r\n\r\n";
    ws_target_ = "/v1/ws?channel=" + o.channel;
}

subscriber_pool::~subscriber_pool() {
    close_all();
    close(ep_);
}

void subscriber_pool::connect_all(server_process& srv) {
    std::size_t next = 0;
    std::int64_t last_scan = now_ns();
    const std::size_t count = o_.subscribers;
    while (stats.ready + stats.failed < count) {
        while (stats.in_flight < o_.connect_window && next < count) start(next++);
        poll(5);
        std::int64_t now = now_ns();
        if (now - last_scan > 100'000'000) {
            last_scan = now;
            auto limit = std::int64_t(o_.connect_timeout_s * 1e9);
            for (std::size_t i = 0; i < next; ++i) {
                auto& s = subs_[i];
                bool pending =
                    s.st == state::connecting || s.st == state::awaiting_head || s.st == state::awaiting_start;
                if (pending && now - s.started_ns > limit) fail(i, "timeout waiting for stream head");
            }
            if (!srv.alive()) return;
        }
        if (expired()) return;
    }
}

void subscriber_pool::poll(int timeout_ms) {
    epoll_event evs[1024];
    int n = epoll_wait(ep_, evs, 1024, timeout_ms);
    for (int k = 0; k < n; ++k) on_event(evs[k].data.u32, evs[k].events);
}

void subscriber_pool::close_all() {
    for (auto& s : subs_)
        if (s.fd >= 0) {
            close(s.fd);
            s.fd = -1;
        }
}

void subscriber_pool::close_one(std::size_t i) {
    auto& s = subs_[i];
    if (s.st != state::live) return;
    close(s.fd);  // also removes it from the epoll set
    s.fd = -1;
    s.st = state::closed;
    ++stats.closed_by_client;
    s.partial.clear();
    s.partial.shrink_to_fit();
}

void subscriber_pool::open_one(std::size_t i) {
    if (!is_idle(i)) return;
    subs_[i] = subscriber{};
    subs_[i].ws = o_.kind == transport::ws || (o_.kind == transport::mix && i % 2 == 1);
    start(i);
}

void subscriber_pool::start(std::size_t i) {
    auto& s = subs_[i];
    s.started_ns = now_ns();
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
        s.st = state::failed;
        ++stats.failed;
        ++stats.failure_reasons["socket: " + errno_name(errno)];
        return;
    }
    ++stats.in_flight;
    s.st = state::connecting;
    // Source addresses 127.0.0.1-16 in turn, the port picked at connect(): one address alone
    // runs out of cheap ephemeral ports near 14,000 connections (connect() prefers one parity of
    // port, then scans), which would slow the client's connects, not herald's accepts.
    int one = 1;
    setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    auto src = loopback(0);
    src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + std::uint32_t(i % 16));
    if (bind(s.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
        fail(i, "bind: " + errno_name(errno));
        return;
    }
    auto a = loopback(port_);
    int r = connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (r != 0 && errno != EINPROGRESS) {
        fail(i, "connect: " + errno_name(errno));
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
}

void subscriber_pool::fail(std::size_t i, const std::string& why) {
    auto& s = subs_[i];
    if (s.st == state::live && stopping) {
        ++stats.closed_on_stop;
        s.st = state::closed;
    } else if (s.st == state::live) {
        ++stats.closed_while_live;
        ++stats.failure_reasons["closed while live: " + why];
        s.st = state::closed;
    } else {
        ++stats.failed;
        --stats.in_flight;
        ++stats.failure_reasons[why];
        s.st = state::failed;
    }
    if (s.fd >= 0) {
        close(s.fd);  // also removes it from the epoll set
        s.fd = -1;
    }
    s.partial.clear();
    s.partial.shrink_to_fit();
    s.ws_key.clear();
    s.ws_key.shrink_to_fit();
}

void subscriber_pool::send_request(std::size_t i) {
    auto& s = subs_[i];
    std::string ws_request;
    if (s.ws) {
        s.ws_key = make_ws_key();
        ws_request = ws_upgrade_request(ws_target_, s.ws_key);
    }
    const std::string& req = s.ws ? ws_request : sse_request_;
    ssize_t n = send(s.fd, req.data(), req.size(), MSG_NOSIGNAL);
    if (n != ssize_t(req.size())) {
        fail(i, "send request: " + errno_name(n < 0 ? errno : EAGAIN));
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    s.st = state::awaiting_head;
}

void subscriber_pool::on_event(std::uint32_t i, std::uint32_t events) {
    auto& s = subs_[i];
    if (s.fd < 0) return;
    if (s.st == state::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            fail(i, "connect: " + errno_name(err ? err : ECONNRESET));
            return;
        }
        if (events & EPOLLOUT) send_request(i);
        return;
    }
    ssize_t n = read(s.fd, buf_, sizeof buf_);
    if (n > 0) {
        feed(i, buf_, std::size_t(n), now_ns());
    } else if (n == 0) {
        fail(i, "server closed the stream");
    } else if (errno != EAGAIN && errno != EINTR) {
        fail(i, "read: " + errno_name(errno));
    }
}

void subscriber_pool::feed(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
    auto& s = subs_[i];
    if (s.st != state::awaiting_head) {
        if (s.ws)
            feed_frames(i, p, n, now);
        else
            feed_lines(i, p, n, now);
        return;
    }
    s.partial.append(p, n);
    auto end = s.partial.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (s.partial.size() > 16384) fail(i, "response head too long");
        return;
    }
    if (s.ws) {
        if (auto bad = check_ws_upgrade_response(std::string_view(s.partial).substr(0, end), ws_accept_for(s.ws_key))) {
            fail(i, "ws handshake: " + *bad);
            return;
        }
        s.ws_key.clear();
        s.ws_key.shrink_to_fit();
    } else if (s.partial.compare(0, 12, "HTTP/1.1 200") != 0) {
        fail(i, "status " + s.partial.substr(9, 3));
        return;
    }
    std::string rest = s.partial.substr(end + 4);
    s.partial.clear();
    s.st = state::awaiting_start;
    if (s.ws)
        feed_frames(i, rest.data(), rest.size(), now);
    else
        feed_lines(i, rest.data(), rest.size(), now);
}

void subscriber_pool::feed_lines(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
    auto& s = subs_[i];
    const char* end = p + n;
    if (!s.partial.empty()) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', n));
        if (!nl) {
            s.partial.append(p, n);
            if (s.partial.size() > 1 << 20) fail(i, "SSE line too long");
            return;
        }
        s.partial.append(p, std::size_t(nl - p));
        std::string line = std::move(s.partial);
        s.partial.clear();
        on_line(i, line, now);
        p = nl + 1;
    }
    while (p < end) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', std::size_t(end - p)));
        if (!nl) {
            s.partial.assign(p, std::size_t(end - p));
            return;
        }
        on_line(i, std::string_view(p, std::size_t(nl - p)), now);
        p = nl + 1;
    }
}

void subscriber_pool::feed_frames(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
    auto& s = subs_[i];
    const bool buffered = !s.partial.empty();  // a frame was cut: parse from the subscriber's buffer
    if (buffered) s.partial.append(p, n);
    std::string_view in = buffered ? std::string_view(s.partial) : std::string_view(p, n);
    std::size_t pos = 0;
    for (;;) {
        ws_frame_view f;
        std::size_t used = 0;
        std::string error;
        auto r = parse_ws_frame(in.substr(pos), f, used, error);
        if (r == ws_parse_result::need_more) break;
        if (r == ws_parse_result::error) {
            fail(i, "ws: " + error);
            return;
        }
        pos += used;
        if (!on_frame(i, f.opcode, f.fin, f.payload, now)) return;  // failed: `in` may be gone
    }
    if (buffered)
        s.partial.erase(0, pos);
    else
        s.partial.assign(in.substr(pos));
    if (s.partial.empty() && s.partial.capacity() > 4096) s.partial.shrink_to_fit();
}

bool subscriber_pool::on_frame(std::size_t i, std::uint8_t opcode, bool fin, std::string_view payload,
                               std::int64_t now) {
    auto& s = subs_[i];
    if (!fin) {  // herald frames every message whole
        fail(i, "ws: fragmented message");
        return false;
    }
    switch (opcode) {
        case ws_text:
            if (payload.rfind("{\"op\":\"event\"", 0) == 0) {
                auto d = payload.find("\"data\":");
                on_data(i, d == std::string_view::npos ? payload : payload.substr(d), now);
            } else if (payload.rfind("{\"op\":\"subscribed\"", 0) == 0) {
                if (s.st == state::awaiting_start) become_live(i);
            } else {
                ++stats.control_events;
                ++stats.ws_other_messages;
                if (stats.ws_other_sample.empty()) stats.ws_other_sample = std::string(payload.substr(0, 200));
            }
            return true;
        case ws_ping: {
            ++stats.ws_pings;
            std::string pong = masked_client_frame(ws_pong, payload);
            if (send(s.fd, pong.data(), pong.size(), MSG_NOSIGNAL) == ssize_t(pong.size())) ++stats.ws_pongs_sent;
            return true;
        }
        case ws_pong:
            return true;
        case ws_close: {
            unsigned code = 1005;
            if (payload.size() >= 2)
                code = (unsigned(static_cast<unsigned char>(payload[0])) << 8) | static_cast<unsigned char>(payload[1]);
            ++stats.ws_close_codes[std::to_string(code)];
            ++stats.disconnect_events;
            fail(i, "ws close " + std::to_string(code));
            return false;
        }
        default:
            fail(i, "ws: unexpected opcode " + std::to_string(opcode));
            return false;
    }
}

void subscriber_pool::on_line(std::size_t i, std::string_view line, std::int64_t now) {
    auto& s = subs_[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("data:", 0) == 0) {
        if (s.watched && on_watched) on_watched(i, line, now);
        if (!s.named_event) on_data(i, line, now);  // the bench publishes unnamed events only
    } else if (line.empty()) {
        s.named_event = false;
        s.watched = false;
    } else if (line.rfind("id:", 0) == 0) {
        if (s.st == state::awaiting_start) become_live(i);  // the stream's start position
    } else if (line.rfind("event:", 0) == 0) {
        s.named_event = true;
        s.watched = !watched_event.empty() && line.size() > 6 && watched_event == line.substr(line[6] == ' ' ? 7 : 6);
        ++stats.control_events;
        if (line == "event: herald.disconnect") ++stats.disconnect_events;
    }
}

void subscriber_pool::become_live(std::size_t i) {
    auto& s = subs_[i];
    s.st = state::live;
    --stats.in_flight;
    ++stats.ready;
    if (s.partial.empty()) s.partial.shrink_to_fit();  // never while a frame parser reads from it
    if (on_live) on_live(i, now_ns());
}

void subscriber_pool::on_data(std::size_t i, std::string_view data, std::int64_t now) {
    auto& s = subs_[i];
    if (s.st != state::live) {
        ++stats.early_data;
        return;
    }
    auto idx = field(data, "\"i\":");
    auto t = field(data, "\"t\":");
    if (!idx || !t || *idx < 0 || std::size_t(*idx) >= stats.event_count.size()) {
        ++stats.unparsed;
        return;
    }
    auto ev = std::int32_t(*idx);
    if (ev <= s.last_index) {
        ++stats.duplicates;
        return;
    }
    if (ev != s.last_index + 1) ++stats.out_of_order;
    s.last_index = ev;
    ++s.received;
    ++stats.deliveries;
    ++(s.ws ? stats.deliveries_ws : stats.deliveries_sse);
    std::int64_t lat = now - *t;
    stats.latencies_us.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(lat / 1000, 0, UINT32_MAX)));
    ++stats.event_count[std::size_t(ev)];
    stats.event_max_ns[std::size_t(ev)] = std::max(stats.event_max_ns[std::size_t(ev)], lat);
    stats.last_delivery_ns = now;
}

}  // namespace herald::bench
