// A loopback TCP proxy a test can cut: forwards 127.0.0.1:port() to an upstream port, and on
// cut() drops every open connection; while refusing, new connections are closed at once.
// Used to make a client's connection drop mid-stream. Threads: one acceptor, one per connection.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace herald::test {

class tcp_proxy {
public:
    explicit tcp_proxy(unsigned short upstream_port);
    ~tcp_proxy();
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;

    unsigned short port() const { return port_; }
    void cut();                       // drop every open connection (both sides see EOF)
    void set_refusing(bool refusing);  // accept-and-close new connections while true
    std::size_t accepted() const { return accepted_.load(); }
    std::size_t open_connections();

private:
    void accept_loop();
    void pump(int client, int upstream);

    unsigned short upstream_;
    unsigned short port_ = 0;
    int listen_fd_ = -1;
    std::atomic<bool> stop_{false}, refusing_{false};
    std::atomic<std::size_t> accepted_{0};
    std::mutex mutex_;
    std::vector<std::pair<int, int>> live_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace herald::test
