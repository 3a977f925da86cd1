// `herald probe`, the container health check, running the real binary: ready and alive against a
// real server (exit 0), the address taken from --url, HERALD_URL or HERALD_INTERNAL (a wildcard
// bind probed through loopback); while draining not ready (exit 1, "draining") but still alive;
// nothing listening, a server that is not herald and a stalled server are failures (exit 1) with a
// message; conflicting flags and bad values are usage errors (exit 2).
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "tests/support/cli_support.hpp"

namespace herald::test {
namespace {

// A loopback TCP server that answers every connection with `reply` (nothing when empty: it
// accepts and stays silent). Stops in its destructor.
class fake_http_server {
public:
    explicit fake_http_server(std::string reply) : reply_(std::move(reply)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        ::listen(fd_, 8);
        thread_ = std::thread([this] {
            std::vector<int> held;
            for (;;) {
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0 || stop_) {
                    if (c >= 0) ::close(c);
                    break;
                }
                char buf[4096];
                (void)::recv(c, buf, sizeof buf, 0);
                if (reply_.empty()) {
                    held.push_back(c);
                    continue;
                }
                (void)::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
                ::close(c);
            }
            for (int c : held) ::close(c);
        });
    }
    ~fake_http_server() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    unsigned short port() const { return port_; }

private:
    std::string reply_;
    int fd_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::string url(unsigned short port) { return "http://127.0.0.1:" + std::to_string(port); }

TEST(CliProbe, ReadyAndAliveAgainstARunningGateway) {
    test_server srv;
    auto r = run_herald({"probe", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "herald: ready (" + srv.internal_url() + "/readyz)\n");
    EXPECT_EQ(r.err, "");
    r = run_herald({"probe", "--live", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "herald: alive (" + srv.internal_url() + "/healthz)\n");
    // The public listener answers probes too (what a host or load balancer can reach).
    r = run_herald({"probe", "--ready", "--url", srv.public_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CliProbe, AddressFromHeraldUrlThenHeraldInternal) {
    test_server srv;
    const auto port = std::to_string(srv.internal_port());
    auto r = run_herald({"probe"}, {}, {{"HERALD_URL", srv.internal_url()}}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    // HERALD_INTERNAL is what `herald serve` binds in the same container; a wildcard is probed on loopback.
    for (const std::string& bind : {"0.0.0.0:" + port, ":" + port, "127.0.0.1:" + port}) {
        r = run_herald({"probe"}, {}, {{"HERALD_INTERNAL", bind}}, quick);
        EXPECT_EQ(r.exit_code, 0) << bind << ": " << describe(r);
        EXPECT_NE(r.out.find("127.0.0.1:" + port + "/readyz"), std::string::npos) << r.out;
    }
    // HERALD_URL wins over HERALD_INTERNAL, and --url over both.
    const auto nothing = free_port();
    r = run_herald({"probe"}, {}, {{"HERALD_URL", url(nothing)}, {"HERALD_INTERNAL", "0.0.0.0:" + port}}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    r = run_herald({"probe", "--url", srv.internal_url()}, {}, {{"HERALD_URL", url(nothing)}}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CliProbe, DrainingIsNotReadyButAlive) {
    // A 60 s window: the one stream is told to go at a random moment within it, so the server is
    // still draining while the probes run; a second SIGTERM then stops it at once.
    process serve({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--drain-window", "60s",
                   "--shutdown-timeout", "120s"});
    ASSERT_TRUE(serve.wait_err("subscribe: curl")) << serve.err();
    const auto pub = public_port_from_log(serve.err()), internal = internal_port_from_log(serve.err());
    ASSERT_NE(pub, 0);
    ASSERT_NE(internal, 0);
    ASSERT_EQ(run_herald({"probe", "--url", url(internal)}, {}, {}, quick).exit_code, 0);
    sse_client sub(pub, sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    serve.kill(SIGTERM);
    ASSERT_TRUE(serve.wait_err("draining")) << serve.err();
    auto r = run_herald({"probe", "--url", url(internal)}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("herald: not ready: draining (503 from " + url(internal) + "/readyz)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("SIGTERM"), std::string::npos) << r.err;
    r = run_herald({"probe", "--live", "--url", url(internal)}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "herald: alive, draining (" + url(internal) + "/healthz)\n");
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(quick).exit_code, 0);
    // Once it has exited, nothing answers.
    r = run_herald({"probe", "--live", "--url", url(internal)}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("herald: not alive: cannot connect to " + url(internal)), std::string::npos) << r.err;
}

TEST(CliProbe, NothingListeningIsAFailure) {
    const auto port = free_port();
    auto r = run_herald({"probe", "--url", url(port)}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("herald: not ready: cannot connect to " + url(port)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(CliProbe, AServerThatIsNotHeraldFails) {
    // 200 to everything, as a web server on the wrong port might answer.
    fake_http_server web("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\n<html></html>");
    auto r = run_herald({"probe", "--url", url(web.port())}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("without herald's {\"status\":...}"), std::string::npos) << r.err;
    // herald-shaped JSON with another status is not ready either.
    fake_http_server other("HTTP/1.1 200 OK\r\nContent-Length: 18\r\nConnection: close\r\n\r\n{\"status\":\"maybe\"}");
    r = run_herald({"probe", "--url", url(other.port())}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("not ready: maybe (200 from"), std::string::npos) << r.err;
}

TEST(CliProbe, AStalledServerFailsWithinTheTimeout) {
    fake_http_server silent("");
    const auto start = std::chrono::steady_clock::now();
    auto r = run_herald({"probe", "--url", url(silent.port()), "--timeout", "300ms"}, {}, {}, quick);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("herald: not ready: no reply from " + url(silent.port()) + ": no answer within 300 ms"),
              std::string::npos)
        << r.err;
    EXPECT_LT(took, 3s);
}

TEST(CliProbe, UsageErrors) {
    auto r = run_herald({"probe", "--live", "--ready"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("give one"), std::string::npos) << r.err;
    for (const std::string t : {"x", "0", "2m", ""}) {
        r = run_herald({"probe", "--timeout", t}, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 2) << t << ": " << describe(r);
    }
    r = run_herald({"probe", "--url", "http://127.0.0.1:99999"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("invalid port"), std::string::npos) << r.err;
    r = run_herald({"probe", "--url", "https://127.0.0.1:8081"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

}  // namespace
}  // namespace herald::test
