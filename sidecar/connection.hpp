// A live connection as its shard sees it: for the keepalive sweep, shutdown, and inspection.
// All calls happen on the connection's own shard thread.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/disconnect.hpp"
#include "lib/http/router.hpp"

namespace herald::sidecar {

using herald::http::listener_kind;

// A connection's socket, bound to its shard's io_context executor (no type-erased executor on
// the hot path). The listener accepts straight into one; streams take it over from the request.
using shard_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// Where a stream came from and when, captured as it starts. Kept for the stream's whole life, so
// it is compact (32 bytes): the address as bytes, formatted only when someone asks.
struct connection_origin {
    std::array<unsigned char, 16> address{};  // IPv4 in the first 4 bytes
    std::uint16_t port = 0;
    bool v6 = false;
    listener_kind listener = listener_kind::public_listener;
    std::int64_t connected_at_ms = 0;  // wall clock, ms since the Unix epoch

    // The socket's peer, now; an address that cannot be read stays zero.
    static connection_origin capture(const shard_socket& socket, listener_kind listener);
    std::string remote() const;  // "203.0.113.7:50412", "[2001:db8::1]:50412"
};

// What GET /v1/connections shows of one stream connection.
struct connection_description {
    std::uint64_t id = 0;
    std::string_view transport;       // "sse" or "ws"
    std::optional<std::string> user;  // the token's sub
    std::vector<std::string> channels;
    connection_origin origin;
    std::size_t outbox_bytes = 0;  // queued and in flight
};

class connection {
public:
    virtual ~connection() = default;
    // Called by the shard's coarse sweep (about once a second) with the steady clock in ms:
    // keepalives, pings and idle timeouts are decided here, not by a timer per connection.
    virtual void tick(std::int64_t now_ms) = 0;
    // Ends the connection for a server stop: streams say goodbye, requests finish or close.
    virtual void shutdown() = 0;
    // Streams (SSE, WebSocket) are ended one by one over the drain window; requests at the end.
    virtual bool is_stream() const { return false; }
    // Writes everything queued (one gather write); called once per flush batch.
    virtual void flush() = 0;
    // Ends the connection with `why` if it belongs to `user` (its token's sub); true if it did.
    virtual bool end_for_user(std::string_view user, const model::disconnect& why) {
        (void)user;
        (void)why;
        return false;
    }
    // A stream connection (SSE, WebSocket) describes itself; plain HTTP requests do not.
    virtual std::optional<connection_description> describe() const { return std::nullopt; }
};

}  // namespace herald::sidecar
