// Test helpers that talk to a test redis-server behind the broker's back, over a plain socket:
// one inline command and its reply (integer replies parsed), the server's pid (from INFO), and a
// guard that freezes the server (SIGSTOP) and always thaws it (SIGCONT) when it goes out of scope,
// so a failing test never leaves a stopped redis-server behind. Header-only; test thread only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace herald::test {

// Sends one inline command ("PTTL key") and returns the raw reply ("" on failure). Bulk replies
// are read whole.
inline std::string redis_command(int port, const std::string& inline_command) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::string req = inline_command + "\r\n";
        if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
            char buf[4096];
            for (;;) {
                auto n = ::read(fd, buf, sizeof buf);
                if (n <= 0) break;
                out.append(buf, static_cast<std::size_t>(n));
                auto head_end = out.find("\r\n");
                if (head_end == std::string::npos) continue;
                if (out[0] != '$') break;
                const long len = std::strtol(out.c_str() + 1, nullptr, 10);
                if (len < 0 || out.size() >= head_end + 2 + static_cast<std::size_t>(len) + 2) break;
            }
        }
    }
    ::close(fd);
    return out;
}

// An integer reply (":42"), or a fallback when the reply is something else.
inline long long redis_integer(int port, const std::string& inline_command, long long otherwise = -999) {
    auto r = redis_command(port, inline_command);
    return r.size() > 1 && r[0] == ':' ? std::strtoll(r.c_str() + 1, nullptr, 10) : otherwise;
}

// The server's pid, from INFO server; -1 if it does not answer.
inline pid_t redis_pid(int port) {
    auto info = redis_command(port, "INFO server");
    auto at = info.find("process_id:");
    return at == std::string::npos ? -1 : static_cast<pid_t>(std::strtol(info.c_str() + at + 11, nullptr, 10));
}

// Freezes a redis-server (SIGSTOP) until thaw() or the end of the scope (SIGCONT): a hung Redis,
// whose connections stay open and whose kernel still accepts new ones, but which answers nothing.
class redis_freeze {
public:
    explicit redis_freeze(int port) : pid_(redis_pid(port)) {}
    ~redis_freeze() { thaw(); }
    redis_freeze(const redis_freeze&) = delete;
    redis_freeze& operator=(const redis_freeze&) = delete;

    bool valid() const { return pid_ > 0; }
    void freeze() {
        if (pid_ > 0 && !frozen_) frozen_ = ::kill(pid_, SIGSTOP) == 0;
    }
    void thaw() {
        if (frozen_) ::kill(pid_, SIGCONT);
        frozen_ = false;
    }

private:
    pid_t pid_;
    bool frozen_ = false;
};

}  // namespace herald::test
