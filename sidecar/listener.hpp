// Accepts TCP connections for one listener and starts an http_session for each on the next
// shard (round robin). Enforces its own cap (limits.max_connections on the public listener,
// limits.max_internal_connections on the internal one): a connection over it gets a 503 JSON
// reply and is closed, counted and logged (once per second at most).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "sidecar/connection.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens at once; throws std::runtime_error "cannot listen on ADDR: reason".
    listener(services& svc, asio::io_context& io, const std::string& address, listener_kind kind);

    void start();
    void stop();  // the acceptor's thread
    unsigned short port() const { return port_; }
    const std::string& address() const { return address_; }

private:
    void accept();

    services& svc_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer retry_timer_;  // pause accepting after EMFILE/ENFILE instead of spinning
    listener_kind kind_;
    std::string address_;
    unsigned short port_ = 0;
    std::int64_t last_reject_log_ = 0;
};

// Splits "host:port" ("[::1]:8080", ":8080" for any address); throws std::runtime_error if malformed.
asio::ip::tcp::endpoint parse_endpoint(const std::string& address);

}  // namespace herald::sidecar
