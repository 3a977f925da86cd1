// An in-process herald (sidecar::server) for integration tests: both listeners on 127.0.0.1:0,
// a silent logger, small helpers to publish and read /metrics. Stops in its destructor.
// Use from the test thread; the server runs on its own I/O threads.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "lib/client/http_client.hpp"
#include "lib/config/config.hpp"
#include "sidecar/server.hpp"
#include "tests/support/free_port.hpp"

namespace herald::test {

using nlohmann::json;
using namespace std::chrono_literals;

// Defaults for tests: loopback, port 0, two I/O threads, logging off.
config::config test_config();

class test_server {
public:
    explicit test_server(config::config cfg = test_config());
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    sidecar::server& server() { return *server_; }
    const config::config& cfg() const { return cfg_; }
    unsigned short public_port() const { return server_->public_port(); }
    unsigned short internal_port() const { return server_->internal_port(); }
    std::string internal_url() const;  // http://127.0.0.1:PORT
    std::string public_url() const;

    // One request on the internal (or public) listener; fails the test on a transport error.
    client::http_reply request(const std::string& method, const std::string& target, const std::string& body = {},
                               const std::string& content_type = {}, const client::header_list& headers = {},
                               bool on_public = false);
    client::http_reply post_json(const std::string& target, const json& body);

    // POST /v1/publish {"channel":..,"data":..[,"event":..]}; returns the reply JSON (asserts 200).
    json publish(const std::string& channel, const json& data, const std::string& event = {});

    // A value from GET /metrics, or nullopt if the line is missing.
    std::optional<double> metric(const std::string& name);
    // Polls /metrics until name satisfies pred or the timeout passes.
    template <class Pred>
    bool wait_metric(const std::string& name, Pred pred, std::chrono::milliseconds timeout = 5s);

    void stop();  // server.stop() + wait(); idempotent

private:
    config::config cfg_;
    std::unique_ptr<sidecar::server> server_;
    bool stopped_ = false;
};

// Polls cond every 10 ms until it holds or the timeout passes; returns its last value.
template <class Cond>
bool eventually(Cond cond, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

template <class Pred>
bool test_server::wait_metric(const std::string& name, Pred pred, std::chrono::milliseconds timeout) {
    return eventually(
        [&] {
            auto v = metric(name);
            return v && pred(*v);
        },
        timeout);
}

// Parses a body as JSON; a test failure (and null) if it is not JSON.
json parse_json(const std::string& body);


}  // namespace herald::test
