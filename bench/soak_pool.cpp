// soak_pool: connects, reads and parses soak_bench's SSE and WebSocket subscribers and checks
// each one's per-channel sequence. Reads go into one shared buffer; a subscriber keeps bytes
// only for a cut line or frame.
#include "bench/soak_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <optional>
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

double soak_stats::latency_ms(double p) const {
    std::uint64_t total = 0;
    for (auto n : latency_hist) total += n;
    if (total == 0) return 0;
    if (p >= 1.0) return double(max_latency_ns) / 1e6;
    auto rank = std::uint64_t(p * double(total - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < latency_hist.size(); ++b) {
        seen += latency_hist[b];
        if (seen >= rank) return double(b) * 0.1 + 0.05;  // middle of the 100 µs bucket
    }
    return double(max_latency_ns) / 1e6;
}

soak_pool::soak_pool(const soak_options& o, int port) : o_(o), port_(port), subs_(o.connections) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
    for (std::size_t i = 0; i < subs_.size(); ++i) subs_[i].ws = ws_at(i);
    for (std::size_t c = 0; c < o.channels; ++c)
        sse_requests_.push_back("GET /v1/sse?channel=" + o.channel_prefix + std::to_string(c) +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nUser-Agent: "
                                "soak_bench\r\n\r\n");
}

soak_pool::~soak_pool() {
    close_all();
    close(ep_);
}

void soak_pool::connect_all(server_process& srv) {
    std::size_t next = 0;
    std::int64_t last_scan = now_ns();
    while (stats.ready + stats.failed < subs_.size()) {
        while (stats.in_flight < o_.connect_window && next < subs_.size()) start(next++);
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

std::vector<std::size_t> soak_pool::live_per_channel() const {
    std::vector<std::size_t> n(o_.channels, 0);
    for (std::size_t i = 0; i < subs_.size(); ++i)
        if (subs_[i].st == state::live) ++n[channel_of(i)];
    return n;
}

void soak_pool::mark_start() {
    for (auto& s : subs_) s.counted = s.st == state::live;
}

std::size_t soak_pool::expected(const std::vector<std::uint32_t>& published) const {
    std::size_t e = 0;
    for (std::size_t i = 0; i < subs_.size(); ++i)
        if (subs_[i].counted) e += published[channel_of(i)];
    return e;
}

soak_verdict soak_pool::verdict(const std::vector<std::uint32_t>& published) const {
    soak_verdict v;
    for (std::size_t i = 0; i < subs_.size(); ++i) {
        const auto& s = subs_[i];
        if (s.st == state::live) ++(s.ws ? v.live_ws : v.live_sse);
        if (!s.counted) continue;
        auto pub = std::int64_t(published[channel_of(i)]);
        std::int64_t tail = pub - 1 - std::int64_t(s.last_seq);
        if (tail > 0) v.lost_at_end += std::size_t(tail);
        bool lost = tail > 0 || s.gaps > 0;
        if (lost) ++v.subscribers_with_loss;
        if (s.duplicates) ++v.subscribers_with_duplicates;
        if ((lost || s.duplicates || s.st != state::live) && v.samples.size() < 10)
            v.samples.push_back("subscriber " + std::to_string(i) + " (" + (s.ws ? "ws" : "sse") + ", channel " +
                                o_.channel_prefix + std::to_string(channel_of(i)) + "): received " +
                                std::to_string(s.received) + " of " + std::to_string(pub) + ", last seq " +
                                std::to_string(s.last_seq) + ", gaps " + std::to_string(s.gaps) + ", duplicates " +
                                std::to_string(s.duplicates) + (s.st == state::live ? "" : ", stream closed"));
    }
    return v;
}

void soak_pool::poll(int timeout_ms) {
    epoll_event evs[1024];
    int n = epoll_wait(ep_, evs, 1024, timeout_ms);
    for (int k = 0; k < n; ++k) on_event(evs[k].data.u32, evs[k].events);
}

void soak_pool::close_all() {
    for (auto& s : subs_)
        if (s.fd >= 0) {
            close(s.fd);
            s.fd = -1;
        }
}

void soak_pool::start(std::size_t i) {
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
    // Source addresses 127.0.0.1-16 in turn (see subscriber_pool: one address runs short of
    // cheap ephemeral ports near 14,000 connections).
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

void soak_pool::fail(std::size_t i, const std::string& why) {
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

void soak_pool::send_request(std::size_t i) {
    auto& s = subs_[i];
    std::string ws_request;
    if (s.ws) {
        s.ws_key = make_ws_key();
        ws_request = ws_upgrade_request("/v1/ws?channel=" + o_.channel_prefix + std::to_string(channel_of(i)), s.ws_key);
    }
    const std::string& req = s.ws ? ws_request : sse_requests_[channel_of(i)];
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

void soak_pool::on_event(std::uint32_t i, std::uint32_t events) {
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

void soak_pool::feed(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
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

void soak_pool::feed_lines(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
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
        if (s.fd < 0) return;
        p = nl + 1;
    }
    while (p < end) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', std::size_t(end - p)));
        if (!nl) {
            s.partial.assign(p, std::size_t(end - p));
            return;
        }
        on_line(i, std::string_view(p, std::size_t(nl - p)), now);
        if (s.fd < 0) return;
        p = nl + 1;
    }
    if (s.partial.capacity() > 4096) s.partial.shrink_to_fit();
}

void soak_pool::feed_frames(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
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

void soak_pool::control(std::string name, std::string_view sample) {
    ++stats.control_events[std::move(name)];
    if (stats.control_sample.empty()) stats.control_sample = std::string(sample.substr(0, 200));
}

bool soak_pool::on_frame(std::size_t i, std::uint8_t opcode, bool fin, std::string_view payload, std::int64_t now) {
    auto& s = subs_[i];
    if (!fin) {  // herald frames every message whole
        fail(i, "ws: fragmented message");
        return false;
    }
    switch (opcode) {
        case ws_text:
            if (payload.rfind("{\"op\":\"event\"", 0) == 0) {
                auto d = payload.find("\"data\":");
                if (payload.find("\"event\":") != std::string_view::npos &&
                    (d == std::string_view::npos || payload.find("\"event\":") < d)) {
                    control("ws named event", payload);  // the soak publishes unnamed events only
                } else {
                    on_data(i, d == std::string_view::npos ? payload : payload.substr(d), now);
                }
            } else if (payload.rfind("{\"op\":\"subscribed\"", 0) == 0) {
                if (s.st == state::awaiting_start) become_live(i);
            } else {
                auto op_end = payload.find('"', 7);
                std::string op = payload.rfind("{\"op\":\"", 0) == 0 && op_end != std::string_view::npos
                                     ? std::string(payload.substr(7, op_end - 7))
                                     : "?";
                control("ws op " + op, payload);
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
            fail(i, "ws close " + std::to_string(code));
            return false;
        }
        default:
            fail(i, "ws: unexpected opcode " + std::to_string(opcode));
            return false;
    }
}

void soak_pool::on_line(std::size_t i, std::string_view line, std::int64_t now) {
    auto& s = subs_[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("data:", 0) == 0) {
        if (!s.named_event) on_data(i, line, now);  // the soak publishes unnamed events only
    } else if (line.empty()) {
        s.named_event = false;
    } else if (line.rfind("id:", 0) == 0) {
        if (s.st == state::awaiting_start) become_live(i);  // the stream's start position
    } else if (line.rfind("event:", 0) == 0) {
        s.named_event = true;
        auto name = line.substr(6);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        control("sse " + std::string(name), line);
    } else if (line.front() == ':') {
        ++stats.sse_comments;
    }
}

void soak_pool::become_live(std::size_t i) {
    auto& s = subs_[i];
    s.st = state::live;
    --stats.in_flight;
    ++stats.ready;
    if (s.partial.empty()) s.partial.shrink_to_fit();  // never while a frame parser reads from it
}

void soak_pool::on_data(std::size_t i, std::string_view data, std::int64_t now) {
    auto& s = subs_[i];
    if (s.st != state::live) {
        ++stats.early_data;
        return;
    }
    auto ch = field(data, "\"c\":");
    auto seq = field(data, "\"s\":");
    auto t = field(data, "\"t\":");
    if (!ch || !seq || !t || *seq < 0 || *seq > INT32_MAX) {
        ++stats.unparsed;
        return;
    }
    if (std::size_t(*ch) != channel_of(i)) {
        ++stats.wrong_channel;
        return;
    }
    auto n = std::int32_t(*seq);
    if (n <= s.last_seq) {
        ++s.duplicates;
        ++stats.duplicates;
        return;
    }
    if (n != s.last_seq + 1) {
        s.gaps += std::uint32_t(n - s.last_seq - 1);
        stats.gaps += std::size_t(n - s.last_seq - 1);
    }
    s.last_seq = n;
    ++s.received;
    ++stats.deliveries;
    ++(s.ws ? stats.deliveries_ws : stats.deliveries_sse);
    std::int64_t lat = std::max<std::int64_t>(now - *t, 0);
    stats.max_latency_ns = std::max(stats.max_latency_ns, lat);
    ++stats.latency_hist[std::min<std::size_t>(std::size_t(lat / 100'000), soak_stats::latency_buckets - 1)];
}

}  // namespace herald::bench
