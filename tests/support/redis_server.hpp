// redis_server: a real `redis-server` for tests, on a free loopback port, in its own temp dir,
// without persistence (--save '' --appendonly no), so a restart comes back empty.
// start() waits until it answers PING; stop() sends SIGTERM and reaps it; restart() keeps the port.
// available() is false when no redis-server is installed: tests GTEST_SKIP with skip_reason().
// Header-only (unit_tests link no support .cpp). Not thread-safe: one test thread drives it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/free_port.hpp"

namespace herald::test {

class redis_server {
public:
    static std::string binary() {
        if (const char* env = std::getenv("HERALD_TEST_REDIS_SERVER"); env && *env) return env;
        for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"})
            if (::access(p, X_OK) == 0) return p;
        return {};
    }
    static bool available() { return !binary().empty(); }
    static std::string skip_reason() {
        return "redis-server is not installed (apt-get install redis-server, or set HERALD_TEST_REDIS_SERVER)";
    }

    explicit redis_server(std::vector<std::string> extra_args = {}) : extra_(std::move(extra_args)) {
        char tmpl[] = "/tmp/herald-redis-XXXXXX";
        if (::mkdtemp(tmpl)) dir_ = tmpl;
        port_ = pick_port();
    }
    ~redis_server() {
        stop();
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    int port() const { return port_; }
    std::string url(int db = 0) const { return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db); }
    bool running() const { return pid_ > 0; }

    // Starts it and waits until it answers PING (false if it does not within 10 s). The first start
    // moves to another free port if the chosen one was taken meanwhile; later ones keep the port.
    bool start() {
        for (int tries = 0; tries < 3; ++tries) {
            if (start_once()) return started_ = true;
            if (started_) return false;
            port_ = pick_port();
        }
        return false;
    }

private:
    bool start_once() {
        if (pid_ > 0) return true;
        std::vector<std::string> args{binary(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", dir_,
                                      "--daemonize", "no", "--logfile", dir_ + "/redis.log"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        pid_ = ::fork();
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            int null_fd = ::open("/dev/null", O_RDWR);
            if (null_fd >= 0) {
                ::dup2(null_fd, 0);
                ::dup2(null_fd, 1);
                ::dup2(null_fd, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        if (pid_ < 0) return false;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (ping()) return true;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

public:
    // SIGTERM, then waits for it to exit (SIGKILL after 10 s).
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
    }

    bool restart() {
        stop();
        return start();
    }

    // One PING over a plain socket: true on +PONG (or -NOAUTH: it answers, a password is set).
    bool ping() const {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return false;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<unsigned short>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = false;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            timeval tv{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            const char req[] = "PING\r\n";
            if (::write(fd, req, sizeof req - 1) == static_cast<ssize_t>(sizeof req - 1)) {
                char buf[64];
                auto n = ::read(fd, buf, sizeof buf);
                ok = n > 0 && (std::string(buf, n).starts_with("+PONG") || std::string(buf, n).starts_with("-NOAUTH"));
            }
        }
        ::close(fd);
        return ok;
    }

    // A loopback port nothing listens on right now.
    static int pick_port() { return free_port(); }

private:
    std::vector<std::string> extra_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool started_ = false;
};

}  // namespace herald::test
