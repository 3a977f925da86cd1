// A WebSocket test client on Boost.Beast (client role, real opening handshake): a background
// reader collects text messages as JSON, counts the server's pings and pongs, and records the
// close code and reason. Beast answers pings by itself (use raw_ws_client for a silent peer).
// Construct, send and wait from the test thread; the socket lives on the client's own I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace herald::test {

using namespace std::chrono_literals;

class ws_client {
public:
    // Connects to 127.0.0.1:port and performs the handshake for `target`; check ok().
    explicit ws_client(unsigned short port, const std::string& target = "/v1/ws");
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    bool ok() const;                   // the handshake succeeded (101)
    const std::string& error() const;  // why it did not
    unsigned status() const;           // the handshake reply's status
    std::string header(const std::string& name) const;  // a header of the handshake reply

    // Queue a frame; frames go out in call order. False once the connection has ended.
    bool send_json(const nlohmann::json& j);
    bool send_text(const std::string& text);
    bool ping(const std::string& payload = {});

    std::vector<nlohmann::json> messages() const;  // every text message so far (unparsable ones as {"unparsed":..})
    std::size_t message_count() const;
    bool wait_messages(std::size_t n, std::chrono::milliseconds timeout = 5s);
    // Waits for a message satisfying pred (looking at every message so far, then new ones).
    std::optional<nlohmann::json> wait_for(const std::function<bool(const nlohmann::json&)>& pred,
                                           std::chrono::milliseconds timeout = 5s);
    // Waits for a message whose "op" is `op` (and, when given, whose "id" equals `id`).
    std::optional<nlohmann::json> wait_op(const std::string& op, const nlohmann::json& id = nullptr,
                                          std::chrono::milliseconds timeout = 5s);
    // The {"op":"event"} messages so far, of one channel or (empty) of all.
    std::vector<nlohmann::json> events(const std::string& channel = {}) const;
    // Waits until at least n events (of `channel`, or of all) have arrived.
    bool wait_events(std::size_t n, const std::string& channel = {}, std::chrono::milliseconds timeout = 5s);

    std::size_t pings_received() const;
    std::vector<std::string> pongs_received() const;  // payloads
    bool wait_pongs(std::size_t n, std::chrono::milliseconds timeout = 5s);

    bool wait_closed(std::chrono::milliseconds timeout = 5s);
    bool closed() const;
    std::optional<std::uint16_t> close_code() const;  // from the server's close frame, if one came
    std::string close_reason() const;

    // Starts the closing handshake with `code`; wait_closed() tells when it is done.
    void close(std::uint16_t code = 1000);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// JSON helpers for messages: m["op"] == op, and the "op"/"code" members as text ("" when absent).
bool is_op(const nlohmann::json& m, const std::string& op);
std::string str_member(const nlohmann::json& m, const std::string& key);

// "/v1/ws?channel=a&channel=b" plus extra query text (e.g. "since=...").
std::string ws_target(const std::vector<std::string>& channels = {}, const std::string& extra = {});

}  // namespace herald::test
