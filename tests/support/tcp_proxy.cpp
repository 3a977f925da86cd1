// tcp_proxy: poll-based byte pump per connection; cut() shuts the sockets down under the lock.
#include "tests/support/tcp_proxy.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::test {

namespace {
int connect_loopback(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}
}  // namespace

tcp_proxy::tcp_proxy(unsigned short upstream_port) : upstream_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
        ADD_FAILURE() << "tcp_proxy cannot listen";
        return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

tcp_proxy::~tcp_proxy() {
    stop_.store(true);
    if (acceptor_.joinable()) acceptor_.join();
    cut();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void tcp_proxy::accept_loop() {
    while (!stop_.load()) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        accepted_.fetch_add(1);
        if (refusing_.load()) {
            ::close(c);
            continue;
        }
        int u = connect_loopback(upstream_);
        if (u < 0) {
            ::close(c);
            continue;
        }
        std::lock_guard lock(mutex_);
        live_.emplace_back(c, u);
        threads_.emplace_back([this, c, u] { pump(c, u); });
    }
}

void tcp_proxy::pump(int client, int upstream) {
    char buf[16384];
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    for (;;) {
        if (stop_.load()) break;
        int r = ::poll(fds, 2, 100);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        if (r == 0) continue;
        bool done = false;
        for (int i = 0; i < 2 && !done; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
            if (n <= 0 || !write_all(fds[1 - i].fd, buf, static_cast<std::size_t>(n))) done = true;
        }
        if (done) break;
    }
    {
        std::lock_guard lock(mutex_);
        live_.erase(std::remove(live_.begin(), live_.end(), std::make_pair(client, upstream)), live_.end());
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(upstream, SHUT_RDWR);
    ::close(client);
    ::close(upstream);
}

void tcp_proxy::cut() {
    std::lock_guard lock(mutex_);
    for (auto [c, u] : live_) {
        ::shutdown(c, SHUT_RDWR);
        ::shutdown(u, SHUT_RDWR);
    }
}

void tcp_proxy::set_refusing(bool refusing) { refusing_.store(refusing); }

std::size_t tcp_proxy::open_connections() {
    std::lock_guard lock(mutex_);
    return live_.size();
}

}  // namespace herald::test
