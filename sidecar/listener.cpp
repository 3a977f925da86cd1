// Listener: bind/listen with a clear error, accept loop onto shards, a connection cap per listener.
#include "sidecar/listener.hpp"

#include <boost/asio/post.hpp>
#include <stdexcept>

#include "lib/model/error.hpp"
#include "lib/protocol/json_codec.hpp"
#include "sidecar/http_session.hpp"

namespace herald::sidecar {

asio::ip::tcp::endpoint parse_endpoint(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("address '" + address + "' is not HOST:PORT");
    std::string host = address.substr(0, colon);
    std::string port_text = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used);
        if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
        throw std::runtime_error("address '" + address + "' has an invalid port '" + port_text + "'");
    }
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("address '" + address + "': '" + host + "' is not an IP address");
    return {ip, static_cast<unsigned short>(port)};
}

listener::listener(services& svc, asio::io_context& io, const std::string& address, listener_kind kind)
    : svc_(svc), acceptor_(io), retry_timer_(io), kind_(kind), address_(address) {
    auto ep = parse_endpoint(address);
    boost::system::error_code ec;
    auto fail = [&](const boost::system::error_code& e) {
        throw std::runtime_error("cannot listen on " + address + ": " + e.message());
    };
    acceptor_.open(ep.protocol(), ec);
    if (ec) fail(ec);
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (ec) fail(ec);
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail(ec);
    port_ = acceptor_.local_endpoint().port();
}

void listener::start() { accept(); }

void listener::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
}

void listener::accept() {
    shard& target = svc_.shards.next();
    acceptor_.async_accept(target.io(), [self = shared_from_this(), &target](boost::system::error_code ec,
                                                                             shard_socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
            auto& svc = self->svc_;
            svc.metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
            const bool internal = self->kind_ == listener_kind::internal_listener;
            const auto cap = internal ? svc.cfg().limits.max_internal_connections : svc.cfg().limits.max_connections;
            if (!svc.metrics.try_open_connection(internal, cap)) {
                svc.metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
                auto now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
                if (now != self->last_reject_log_) {
                    self->last_reject_log_ = now;
                    svc.log.warn("connection limit of {} reached on the {} listener {}: refusing new connections",
                                 cap, internal ? "internal" : "public", self->address_);
                }
                std::string body = protocol::error_json(model::errors::too_many_connections(cap, internal));
                std::string res = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                  "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body;
                boost::system::error_code wec;
                socket.non_blocking(true, wec);
                socket.write_some(asio::buffer(res), wec);
                socket.close(wec);
            } else {
                auto id = svc.next_connection_id.fetch_add(1, std::memory_order_relaxed);
                auto session = std::make_shared<http_session>(svc, target, std::move(socket), self->kind_, id);
                asio::post(target.io(), [session] { session->start(); });
            }
        } else {
            // Out of file descriptors (or another transient failure): log, count, wait a little.
            self->svc_.metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
            self->svc_.log.warn("accept on {} failed: {}; pausing accepts for 100 ms", self->address_, ec.message());
            self->retry_timer_.expires_after(std::chrono::milliseconds(100));
            self->retry_timer_.async_wait([self](boost::system::error_code tec) {
                if (!tec && self->acceptor_.is_open()) self->accept();
            });
            return;
        }
        self->accept();
    });
}

}  // namespace herald::sidecar
