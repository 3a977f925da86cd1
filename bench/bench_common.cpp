// bench_common: clocks, the run's deadline, blocking loopback sockets, a minimal HTTP/1.1
// client and small statistics shared by the fan-out benchmark's parts.
#include "bench/bench_common.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <csignal>
#include <ctime>
#include <iostream>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::bench {

std::int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t thread_cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double self_cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

std::atomic<bool> g_interrupted{false};
std::atomic<std::int64_t> g_deadline_ns{0};
pid_t g_server_pid = -1;
pid_t g_publisher_pid = -1;

int run_tool(const char* tool, const std::function<int()>& body) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = [](int) { g_interrupted.store(true); };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
        return body();
    } catch (const std::exception& e) {
        std::cerr << tool << ": " << e.what() << "\n";
        for (pid_t pid : {g_server_pid, g_publisher_pid})
            if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, nullptr, 0);
            }
        return 1;
    }
}

bool expired() { return g_interrupted.load() || now_ns() >= g_deadline_ns.load(); }

std::string errno_name(int e) {
    switch (e) {
        case ECONNREFUSED: return "ECONNREFUSED";
        case ECONNRESET: return "ECONNRESET";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        case EMFILE: return "EMFILE";
        case ENFILE: return "ENFILE";
        case EPIPE: return "EPIPE";
        case EAGAIN: return "EAGAIN";
        default: return "errno " + std::to_string(e);
    }
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
}

std::pair<int, int> free_ports() {
    int fds[2];
    int ports[2];
    for (int k = 0; k < 2; ++k) {
        fds[k] = socket(AF_INET, SOCK_STREAM, 0);
        auto a = loopback(0);
        if (fds[k] < 0 || bind(fds[k], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind a loopback port: " + std::string(strerror(errno)));
        socklen_t len = sizeof a;
        getsockname(fds[k], reinterpret_cast<sockaddr*>(&a), &len);
        ports[k] = ntohs(a.sin_port);
    }
    close(fds[0]);
    close(fds[1]);
    return {ports[0], ports[1]};
}

int connect_blocking(int port, double timeout_s) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{static_cast<time_t>(timeout_s), static_cast<suseconds_t>((timeout_s - std::floor(timeout_s)) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto a = loopback(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
        s.remove_prefix(std::size_t(n));
    }
    return true;
}

int read_response(int fd, std::string& carry, std::string& body) {
    char buf[8192];
    std::size_t head_end;
    while ((head_end = carry.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return 0;
        carry.append(buf, std::size_t(n));
        if (carry.size() > 65536) return 0;
    }
    int status = 0;
    if (carry.size() < 12 || carry.compare(0, 5, "HTTP/") != 0) return 0;
    std::from_chars(carry.data() + 9, carry.data() + 12, status);
    std::size_t length = 0;
    std::string head = carry.substr(0, head_end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto cl = head.find("\r\ncontent-length:");
    if (cl != std::string::npos) {
        auto p = head.c_str() + cl + 17;
        while (*p == ' ') ++p;
        std::from_chars(p, head.c_str() + head.size(), length);
    }
    std::size_t total = head_end + 4 + length;
    while (carry.size() < total) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return 0;
        carry.append(buf, std::size_t(n));
    }
    body = carry.substr(head_end + 4, length);
    carry.erase(0, total);
    return status;
}

int http_get(int port, const std::string& path, std::string& body, double timeout_s) {
    int fd = connect_blocking(port, timeout_s);
    if (fd < 0) return 0;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    int status = 0;
    std::string carry;
    if (send_all(fd, req)) status = read_response(fd, carry, body);
    close(fd);
    return status;
}

double percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    std::size_t k = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

double round3(double x) { return std::round(x * 1000) / 1000; }

}  // namespace herald::bench
