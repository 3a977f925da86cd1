// A real HTTP/1.1 server for tests that play the app receiving webhooks (or any HTTP callback).
// It listens on a free loopback port in the test process, records every request it reads
// (method, target, headers, body, and the status it answered) and answers 200 {} by default.
// Switches, callable from any thread at any time:
//   set_status(500)     answer every following request with that status (any 100-599)
//   set_hanging(true)   read requests, record them, never answer (the connection stays open)
//   go_down()           stop listening and close every open connection: connections are refused
//   come_back()         listen again on the same port
// wait_for(predicate, timeout) polls the recorded requests until the predicate holds.
// Keep-alive is honoured, so a client's connection reuse is exercised. Request bodies up to 16 MiB.
// Threads: one io thread of its own; the record is guarded by a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace herald::test {

struct recorded_request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    std::string body;
    int answered = 0;  // the status answered; 0 when it hung
    std::size_t connection = 0;  // 1, 2, ...: which accepted connection carried it
    // The first header of that name (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
};

class webhook_receiver {
public:
    webhook_receiver();  // listening when constructed
    ~webhook_receiver();
    webhook_receiver(const webhook_receiver&) = delete;
    webhook_receiver& operator=(const webhook_receiver&) = delete;

    unsigned short port() const { return port_; }
    std::string url(const std::string& path = "/hooks") const;  // http://127.0.0.1:PORT/path

    void set_status(int status);
    void set_hanging(bool hanging);
    void go_down();
    void come_back();

    std::vector<recorded_request> requests() const;
    std::size_t request_count() const;
    std::size_t connections_accepted() const { return accepted_.load(); }
    // True once `pred(requests)` holds; false after `timeout`.
    bool wait_for(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                  std::chrono::milliseconds timeout) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    unsigned short port_ = 0;
    std::atomic<std::size_t> accepted_{0};
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<recorded_request> requests_;

    friend struct receiver_session;
    void record(recorded_request r);
};

}  // namespace herald::test
