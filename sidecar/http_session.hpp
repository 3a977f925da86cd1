// One HTTP/1.1 connection on either listener: reads requests under header, body and time
// limits, routes them, answers API calls (keep-alive), and hands stream requests that
// lib/http/stream_admission admits over to an sse_session or ws_session with the bare socket.
// Lives on one shard; touched only on that thread.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <array>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <optional>

#include "lib/http/request_target.hpp"
#include "lib/http/router.hpp"
#include "lib/http/stream_admission.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/request_parser.hpp"
#include "sidecar/response_bytes.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

namespace beast = boost::beast;
namespace http = beast::http;


class http_session final : public connection, public std::enable_shared_from_this<http_session> {
public:
    http_session(services& svc, shard& home, shard_socket socket, listener_kind kind, std::uint64_t id);
    ~http_session() override;

    void start();  // shard thread

    // Ends a read or write that passed its deadline (request_timeout; 2 s while lingering) and
    // answers 503 reply_timeout for an API call whose broker result is overdue.
    void tick(std::int64_t now_ms) override;
    void shutdown() override;
    void flush() override {}

private:
    void read_request();
    // Feeds the buffered bytes to the parser, and reads more from the socket until the request is
    // complete or refused (what Beast's http::async_read does, without its composed operations).
    void parse_buffered();
    void on_bytes(beast::error_code ec, std::size_t n);
    void on_read(beast::error_code ec);
    void handle(request& req);
    void call_api(request& req, herald::http::route_match route, herald::http::request_target target);
    herald::http::stream_request stream_request_of(const request_fields& fields, herald::http::request_target target) const;
    // Counts and logs an auth refusal (never the credentials) and answers it.
    void refuse(const model::error& e, const request& req);
    void count_refusal(const model::error& e, std::string_view what);
    void start_sse(request& req, herald::http::request_target target);
    void start_ws(request& req, herald::http::request_target target);
    // Gives the socket up to a stream session: this session is done.
    shard_socket hand_off();
    void reply(http_reply res);
    void reply_error(const model::error& e, unsigned version, bool keep_alive);
    void close();
    // After refusing a request whose body was not read: stop sending, discard what the client
    // still sends (up to a short deadline) so the refusal is read instead of reset, then close.
    void linger();
    void discard_input();
    // The pending read or write must finish within `ms`; checked by tick(), so up to one sweep late.
    void arm(std::int64_t ms);

    services& svc_;
    shard& home_;
    shard_socket socket_;
    beast::flat_buffer buffer_;
    // The request line and fields herald keeps (request_parser): reset before each request (none
    // is alive then); a header larger than the block takes the rest from the heap, given back at
    // the same reset.
    alignas(std::max_align_t) std::array<std::byte, 1024> arena_block_;
    std::pmr::monotonic_buffer_resource arena_{arena_block_.data(), arena_block_.size(),
                                               std::pmr::new_delete_resource()};
    std::optional<request_parser> parser_;
    listener_kind kind_;
    std::uint64_t id_;
    std::string origin_;
    std::string out_;  // the reply being written (one at a time); its capacity is kept
    bool writing_ = false;
    bool stopping_ = false;
    bool handed_off_ = false;
    bool closed_ = false;
    bool linger_ = false;
    bool head_ = false;          // the request being answered is HEAD: headers only
    bool awaiting_ = false;      // an API call's result is pending
    std::uint64_t call_ = 0;     // which API call a late result belongs to
    unsigned awaiting_version_ = 11;
    std::int64_t reply_deadline_ms_ = 0;
    std::int64_t io_deadline_ms_ = 0;  // 0: no read or write pending
    bool reading_request_ = false;     // the pending read is a request (its timeout is counted)
};

}  // namespace herald::sidecar
