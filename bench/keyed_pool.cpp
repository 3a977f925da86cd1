// keyed_pool: connects, reads (fast ones as data comes, slow ones paced) and parses keyed_bench's
// SSE subscribers; reads go into one shared buffer, a subscriber keeps bytes only for a cut line.
#include "bench/keyed_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_common.hpp"

namespace herald::bench {

namespace {

std::optional<std::int64_t> int_after(std::string_view text, std::string_view key, std::size_t from = 0) {
    auto k = text.find(key, from);
    if (k == std::string_view::npos) return std::nullopt;
    std::int64_t v = 0;
    auto b = text.data() + k + key.size();
    if (std::from_chars(b, text.data() + text.size(), v).ec != std::errc()) return std::nullopt;
    return v;
}

}  // namespace

std::int64_t wall_us() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void latency_hist::add(std::int64_t us) {
    us = std::max<std::int64_t>(us, 0);
    ++buckets[std::min<std::size_t>(std::size_t(us / 100), buckets.size() - 1)];
    ++count;
    max_us = std::max(max_us, us);
}

double latency_hist::ms(double p) const {
    if (count == 0) return 0;
    auto want = std::uint64_t(p * double(count - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        seen += buckets[b];
        if (seen >= want) return std::min(double(b) * 0.1 + 0.05, double(max_us) / 1000);  // bucket middle
    }
    return double(max_us) / 1000;
}

keyed_pool::keyed_pool(const keyed_options& o, int port, std::vector<std::string> channels, std::size_t subscribers,
                       std::size_t slow_count, std::size_t keys)
    : o_(o), port_(port), channels_(std::move(channels)), subs_(subscribers) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
    // Slow readers spread evenly: subscriber i is slow when floor((i+1)k/N) > floor(ik/N).
    for (std::size_t i = 0; i < subs_.size(); ++i)
        if ((i + 1) * slow_count / subscribers > i * slow_count / subscribers) {
            subs_[i].slow = true;
            subs_[i].held_ms.assign(keys, 0);
        }
}

keyed_pool::~keyed_pool() {
    close_all();
    close(ep_);
}

void keyed_pool::connect_all(server_process& srv) {
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
                bool pending = s.st == state::connecting || s.st == state::awaiting_head || s.st == state::awaiting_start;
                if (pending && now - s.started_ns > limit) fail(i, "timeout waiting for stream start");
            }
            if (!srv.alive()) return;
        }
        if (expired()) return;
    }
}

std::size_t keyed_pool::live() const {
    return std::size_t(std::count_if(subs_.begin(), subs_.end(), [](const subscriber& s) { return s.st == state::live; }));
}

void keyed_pool::poll(int timeout_ms) {
    epoll_event evs[1024];
    int n = epoll_wait(ep_, evs, 1024, slow_live_.empty() ? timeout_ms : std::min(timeout_ms, 10));
    for (int k = 0; k < n; ++k) on_event(evs[k].data.u32, evs[k].events);
    pace(now_ns());
}

void keyed_pool::close_all() {
    for (auto& s : subs_)
        if (s.fd >= 0) {
            close(s.fd);
            s.fd = -1;
        }
}

void keyed_pool::close_slow() {
    for (auto& s : subs_)
        if (s.slow && s.fd >= 0) {
            close(s.fd);
            s.fd = -1;
            if (s.st == state::live) ++stats.closed_on_stop;
            s.st = state::closed;
        }
}

std::vector<std::uint32_t> keyed_pool::held_ages_us(std::int64_t now_wall_us, std::size_t& missing) const {
    std::vector<std::uint32_t> ages;
    missing = 0;
    for (const auto& s : subs_) {
        if (!s.slow || s.st != state::live) continue;
        for (auto ms : s.held_ms) {
            if (ms == 0) ++missing;
            else ages.push_back(std::uint32_t(std::clamp<std::int64_t>(now_wall_us - ms * 1000, 0, UINT32_MAX)));
        }
    }
    return ages;
}

void keyed_pool::start(std::size_t i) {
    auto& s = subs_[i];
    s.started_ns = now_ns();
    s.partial.clear();
    s.named_event = false;
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
        s.st = state::failed;
        ++stats.failed;
        ++stats.failure_reasons["socket: " + errno_name(errno)];
        return;
    }
    ++stats.in_flight;
    s.st = state::connecting;
    if (s.slow) setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &o_.slow_rcvbuf, sizeof o_.slow_rcvbuf);  // before connect
    // Source addresses 127.0.0.1-16 in turn (as subscriber_pool): cheap ephemeral ports.
    int one = 1;
    setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    auto src = loopback(0);
    src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + std::uint32_t(i % 16));
    if (bind(s.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return fail(i, "bind: " + errno_name(errno));
    auto a = loopback(port_);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS)
        return fail(i, "connect: " + errno_name(errno));
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
}

void keyed_pool::fail(std::size_t i, const std::string& why) {
    auto& s = subs_[i];
    ++stats.failed;
    --stats.in_flight;
    ++stats.failure_reasons[why];
    s.st = state::failed;
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
}

void keyed_pool::ended(std::size_t i, const std::string& why) {
    auto& s = subs_[i];
    if (s.st != state::live) return fail(i, why);
    close(s.fd);  // also leaves the epoll set
    s.fd = -1;
    s.st = state::closed;
    if (stopping) {
        ++stats.closed_on_stop;
        return;
    }
    ++(s.slow ? stats.eof_slow : stats.eof_fast);
    ++stats.failure_reasons["ended while live: " + why];
    ++stats.reconnects;
    --stats.ready;
    start(i);
}

void keyed_pool::on_event(std::uint32_t i, std::uint32_t events) {
    auto& s = subs_[i];
    if (s.fd < 0) return;
    if (s.st != state::connecting) return read_some(i, sizeof buf_);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) return fail(i, "connect: " + errno_name(err ? err : ECONNRESET));
    if (!(events & EPOLLOUT)) return;
    std::string req = "GET /v1/sse?channel=" + channels_[channel_of(i)] +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nUser-Agent: keyed_bench\r\n";
    if (!s.last_id.empty()) req += "Last-Event-ID: " + s.last_id + "\r\n";
    req += "\r\n";
    if (send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size()))
        return fail(i, "send request: " + errno_name(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    s.st = state::awaiting_head;
}

void keyed_pool::read_some(std::size_t i, std::size_t max) {
    auto& s = subs_[i];
    ssize_t n = recv(s.fd, buf_, std::min(max, sizeof buf_), MSG_DONTWAIT);
    if (n > 0) {
        if (s.slow && s.st == state::live) s.budget -= double(n);
        (s.slow ? stats.bytes_slow : stats.bytes_fast) += std::uint64_t(n);
        feed(i, buf_, std::size_t(n), now_ns(), wall_us());
    } else if (n == 0) {
        ended(i, "server closed the stream");
    } else if (errno != EAGAIN && errno != EINTR) {
        ended(i, "read: " + errno_name(errno));
    }
}

void keyed_pool::pace(std::int64_t now) {
    if (now - last_pace_ns_ < 20'000'000) return;
    double dt = last_pace_ns_ ? double(now - last_pace_ns_) / 1e9 : 0;
    last_pace_ns_ = now;
    std::size_t kept = 0;
    for (std::size_t i : slow_live_) {
        auto& s = subs_[i];
        if (s.st != state::live) {  // ended: it rejoins the list when live again
            s.paced = false;
            continue;
        }
        slow_live_[kept++] = i;
        s.budget = std::min(s.budget + o_.slow_bytes_per_s * dt, o_.slow_bytes_per_s);
        if (s.budget >= 1) read_some(i, std::size_t(s.budget));
    }
    slow_live_.resize(std::min(kept, slow_live_.size()));
}

void keyed_pool::feed(std::size_t i, const char* p, std::size_t n, std::int64_t now, std::int64_t wall) {
    auto& s = subs_[i];
    if (s.st == state::awaiting_head) {
        s.partial.append(p, n);
        auto end = s.partial.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (s.partial.size() > 16384) fail(i, "response head too long");
            return;
        }
        if (s.partial.compare(0, 12, "HTTP/1.1 200") != 0) return fail(i, "status " + s.partial.substr(9, 3));
        std::string rest = s.partial.substr(end + 4);
        s.partial.clear();
        s.st = state::awaiting_start;
        return feed(i, rest.data(), rest.size(), now, wall);
    }
    const char* end = p + n;
    if (!s.partial.empty()) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', n));
        if (!nl) {
            s.partial.append(p, n);
            if (s.partial.size() > 1 << 20) ended(i, "SSE line too long");
            return;
        }
        s.partial.append(p, std::size_t(nl - p));
        std::string line = std::move(s.partial);
        s.partial.clear();
        on_line(i, line, now, wall);
        p = nl + 1;
    }
    while (p < end && s.fd >= 0) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', std::size_t(end - p)));
        if (!nl) {
            s.partial.assign(p, std::size_t(end - p));
            return;
        }
        on_line(i, std::string_view(p, std::size_t(nl - p)), now, wall);
        p = nl + 1;
    }
}

void keyed_pool::on_line(std::size_t i, std::string_view line, std::int64_t now, std::int64_t wall) {
    auto& s = subs_[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto value = [&](std::size_t skip) {
        auto v = line.substr(skip);
        if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return v;
    };
    if (line.empty()) {
        s.named_event = false;
    } else if (line.rfind("id:", 0) == 0) {
        s.last_id = std::string(value(3));
        if (s.st == state::awaiting_start) become_live(i);
    } else if (line.rfind("event:", 0) == 0) {
        s.named_event = true;
        ++stats.control_events[std::string(value(6))];
    } else if (line.rfind("data:", 0) == 0 && !s.named_event) {
        on_data(i, value(5), now, wall);
    }
}

void keyed_pool::on_data(std::size_t i, std::string_view data, std::int64_t now, std::int64_t wall) {
    auto& s = subs_[i];
    auto published = int_after(data, "\"published_at\":", data.rfind("\"published_at\":"));
    auto offset = int_after(data, "\"offset\":");
    auto d = data.find("\"data\":");
    auto k = data.find("\"key\":\"");
    if (!published || !offset || d == std::string_view::npos || k == std::string_view::npos) {
        ++stats.unparsed;
        return;
    }
    std::int64_t age_us = wall - *published * 1000;
    if (*offset <= s.last_offset) ++stats.offset_regressions;
    if (s.slow) {
        ++stats.deliveries_slow;
        stats.slow_age.add(age_us);
        std::size_t key = 0;  // ticker keys are k0..kK-1
        auto kb = data.data() + k + 8;
        if (std::from_chars(kb, data.data() + data.size(), key).ec == std::errc() && key < s.held_ms.size())
            s.held_ms[key] = std::max(s.held_ms[key], *published);
    } else {
        ++stats.deliveries_fast;
        stats.fast_published.add(age_us);
        if (auto t = int_after(data, "\"t\":", d)) stats.fast_sent.add((now - *t) / 1000);
    }
    if (*offset > s.last_offset) {
        s.last_offset = *offset;
        if (auto v = int_after(data, "\"data\":")) s.value = *v;  // counters: the new value
    }
}

void keyed_pool::become_live(std::size_t i) {
    auto& s = subs_[i];
    s.st = state::live;
    ++stats.ready;
    --stats.in_flight;
    if (s.slow) {  // from now on read only by pace()
        epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
        s.budget = 0;
        if (!s.paced) slow_live_.push_back(i);
        s.paced = true;
    }
}

}  // namespace herald::bench
