// Raw socket clients: poll + recv with deadlines; HTTP heads parsed by hand so tests see bytes.
#include "tests/support/raw_sse_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::test {

namespace {
using clock_type = std::chrono::steady_clock;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return std::string(s);
}

std::chrono::milliseconds left(clock_type::time_point deadline) {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    return d.count() < 0 ? 0ms : d;
}
}  // namespace

raw_connection::raw_connection(unsigned short port, int rcvbuf) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        ADD_FAILURE() << "socket: " << std::strerror(errno);
        return;
    }
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ADD_FAILURE() << "connect to 127.0.0.1:" << port << ": " << std::strerror(errno);
        return;
    }
    connected_ = true;
}

raw_connection::~raw_connection() { close(); }

void raw_connection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool raw_connection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        if (fd_ < 0) return false;
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool raw_connection::read_some(std::chrono::milliseconds timeout) {
    if (fd_ < 0 || closed_) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
        data_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    if (n < 0 && errno == EINTR) return false;
    closed_ = true;
    reset_ = n < 0 && errno == ECONNRESET;
    return true;
}

bool raw_connection::read_until(const std::function<bool(const std::string&)>& pred,
                                std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
        if (pred(data_)) return true;
        if (closed_ || clock_type::now() >= deadline) return false;
        read_some(std::min(left(deadline), std::chrono::milliseconds(100)));
    }
}

bool raw_connection::read_until_contains(std::string_view needle, std::chrono::milliseconds timeout) {
    return read_until([&](const std::string& d) { return d.find(needle) != std::string::npos; }, timeout);
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (!closed_ && fd_ >= 0 && clock_type::now() < deadline) read_some(std::min(left(deadline), 100ms));
    return closed_;
}

std::optional<http_response> parse_head(const std::string& data, std::size_t& head_size) {
    auto end = data.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    head_size = end + 4;
    http_response r;
    std::string_view head(data.data(), end);
    auto line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    auto sp = status_line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    r.status = static_cast<unsigned>(std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str()));
    std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
        auto e = rest.find("\r\n");
        auto line = rest.substr(0, e);
        auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            auto name = lower(std::string(line.substr(0, colon)));
            auto value = trim(line.substr(colon + 1));
            auto& slot = r.headers[name];
            slot = slot.empty() ? value : slot + ", " + value;
        }
        if (e == std::string_view::npos) break;
        rest = rest.substr(e + 2);
    }
    return r;
}

std::optional<http_response> read_response(raw_connection& c, std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    std::size_t head_size = 0;
    std::optional<http_response> r;
    c.read_until([&](const std::string& d) { return (r = parse_head(d, head_size)).has_value(); }, timeout);
    if (!r) return std::nullopt;
    auto cl = r->header("content-length");
    if (!cl.empty()) {
        std::size_t want = head_size + std::stoul(cl);
        c.read_until([&](const std::string& d) { return d.size() >= want; }, left(deadline));
        if (c.data().size() < want) return std::nullopt;
        r->body = c.data().substr(head_size, want - head_size);
        c.data().erase(0, want);
    } else {
        c.wait_closed(left(deadline));
        r->body = c.data().substr(head_size);
        c.data().clear();
    }
    return r;
}

std::optional<http_response> raw_request(unsigned short port, const std::string& request,
                                         std::chrono::milliseconds timeout) {
    raw_connection c(port);
    if (!c.connected() || !c.send(request)) return std::nullopt;
    return read_response(c, timeout);
}

sse_client::sse_client(unsigned short port, const std::string& target, const client::header_list& headers, int rcvbuf)
    : conn_(port, rcvbuf) {
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "\r\n";
    if (!conn_.connected() || !conn_.send(req)) {
        ADD_FAILURE() << "cannot send the SSE request";
        return;
    }
    std::size_t head_size = 0;
    std::optional<http_response> r;
    conn_.read_until([&](const std::string& d) { return (r = parse_head(d, head_size)).has_value(); }, 5s);
    if (!r) {
        ADD_FAILURE() << "no response head for GET " << target << "; got: " << conn_.data();
        return;
    }
    if (r->status != 200) {
        auto full = read_response(conn_, 5s);
        head_ = full ? *full : *r;
        return;
    }
    head_ = *r;
    std::string rest = conn_.data().substr(head_size);
    conn_.data().clear();
    feed(rest);
    auto deadline = clock_type::now() + 5s;
    while (comments() == 0 && !conn_.closed() && clock_type::now() < deadline) pump(100ms);
    EXPECT_GT(comments(), 0u) << "no opening comment on " << target;
}

void sse_client::feed(std::string_view bytes) {
    body_.append(bytes);
    for (auto& m : parser_.feed(bytes)) events_.push_back(std::move(m));
}

bool sse_client::pump(std::chrono::milliseconds timeout) {
    bool any = conn_.read_some(timeout);
    if (!conn_.data().empty()) {
        std::string chunk;
        chunk.swap(conn_.data());
        feed(chunk);
    }
    return any;
}

bool sse_client::wait_events(std::size_t n, std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (events_.size() < n) {
        if (conn_.closed() || clock_type::now() >= deadline) return false;
        pump(std::min(left(deadline), 100ms));
    }
    return true;
}

std::optional<protocol::sse_message> sse_client::wait_for(
    const std::function<bool(const protocol::sse_message&)>& pred, std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    std::size_t checked = 0;
    for (;;) {
        for (; checked < events_.size(); ++checked)
            if (pred(events_[checked])) return events_[checked];
        if (conn_.closed() || clock_type::now() >= deadline) return std::nullopt;
        pump(std::min(left(deadline), 100ms));
    }
}

bool sse_client::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    while (!conn_.closed() && clock_type::now() < deadline) pump(std::min(left(deadline), 100ms));
    return conn_.closed();
}

std::string sse_target(const std::vector<std::string>& channels, const std::string& extra) {
    std::string t = "/v1/sse?";
    for (const auto& c : channels) t += "channel=" + client::url_encode(c) + "&";
    if (!extra.empty())
        t += extra;
    else
        t.pop_back();
    return t;
}

}  // namespace herald::test
