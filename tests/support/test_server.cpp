// test_server: builds a quiet sidecar::server on ephemeral loopback ports.
#include "tests/support/test_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::test {

config::config test_config() {
    config::config cfg;
    cfg.public_address = "127.0.0.1:0";
    cfg.internal_address = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.log_level = "off";
    cfg.shutdown.drain_window_ms = 0;  // streams end at once: tests that stop a server want it now
    cfg.shutdown.timeout_ms = 3000;
    return cfg;
}

test_server::test_server(config::config cfg) : cfg_(std::move(cfg)) {
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    log->set_level(spdlog::level::off);
    server_ = std::make_unique<sidecar::server>(cfg_, log);
    server_->start();
}

test_server::~test_server() { stop(); }

void test_server::stop() {
    if (stopped_) return;
    stopped_ = true;
    server_->stop();
    server_->wait();
}

std::string test_server::internal_url() const { return "http://127.0.0.1:" + std::to_string(internal_port()); }
std::string test_server::public_url() const { return "http://127.0.0.1:" + std::to_string(public_port()); }

client::http_reply test_server::request(const std::string& method, const std::string& target, const std::string& body,
                                        const std::string& content_type, const client::header_list& headers,
                                        bool on_public) {
    auto url = client::parse_url(on_public ? public_url() : internal_url());
    // The internal listener of a server with API keys: tests act as the app, with the first key.
    auto all = headers;
    bool has_auth = false;
    for (const auto& [k, v] : headers) has_auth |= k == "Authorization";
    if (!on_public && !has_auth && !cfg_.auth.api_keys.empty())
        all.emplace_back("Authorization", "Bearer " + cfg_.auth.api_keys.front());
    auto r = client::http_request(*url, method, target, body, content_type, all, 10s);
    EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.err().message);
    if (!r) return {};
    return *r;
}

client::http_reply test_server::post_json(const std::string& target, const json& body) {
    return request("POST", target, body.dump(), "application/json");
}

json test_server::publish(const std::string& channel, const json& data, const std::string& event) {
    json body{{"channel", channel}, {"data", data}};
    if (!event.empty()) body["event"] = event;
    auto r = post_json("/v1/publish", body);
    EXPECT_EQ(r.status, 200u) << r.body;
    return parse_json(r.body);
}

std::optional<double> test_server::metric(const std::string& name) {
    auto url = client::parse_url(internal_url());
    auto r = client::http_request(*url, "GET", "/metrics", {}, {}, {}, 5s);  // /metrics needs no API key
    if (!r || r->status != 200) return std::nullopt;
    std::size_t pos = 0;
    const std::string& text = r->body;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ' ')
            return std::stod(std::string(line.substr(name.size() + 1)));
        pos = end + 1;
    }
    return std::nullopt;
}

json parse_json(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << body;
    return j.is_discarded() ? json() : j;
}

}  // namespace herald::test
