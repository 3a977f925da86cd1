// connection_origin: the peer address captured as bytes and printed on demand.
#include "sidecar/connection.hpp"

#include <chrono>

namespace herald::sidecar {

connection_origin connection_origin::capture(const shard_socket& socket, listener_kind listener) {
    connection_origin o;
    o.listener = listener;
    o.connected_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec) return o;
    o.port = ep.port();
    auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), o.address.begin());
    } else {
        o.v6 = true;
        o.address = a.to_v6().to_bytes();
    }
    return o;
}

std::string connection_origin::remote() const {
    if (v6) {
        boost::asio::ip::address_v6::bytes_type b;
        std::copy(address.begin(), address.end(), b.begin());
        return "[" + boost::asio::ip::address_v6(b).to_string() + "]:" + std::to_string(port);
    }
    boost::asio::ip::address_v4::bytes_type b;
    std::copy(address.begin(), address.begin() + 4, b.begin());
    return boost::asio::ip::address_v4(b).to_string() + ":" + std::to_string(port);
}

}  // namespace herald::sidecar
