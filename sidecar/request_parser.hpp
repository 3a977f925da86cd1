// Reads one HTTP/1.1 request: Beast's basic_parser does the framing (request line, field syntax,
// Content-Length and chunked bodies, header and body limits); this handler keeps only what herald
// reads. The request line and the fields below are copied into the connection's arena as they are
// parsed (no per-field node, no ordered set, no second pass to find them); every other field is
// checked by Beast and dropped. For a field given more than once the first counts; Host is also
// counted and Transfer-Encoding's last value kept (request_guard checks both).
// Used on the connection's shard thread; one parser per request.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>

namespace herald::sidecar {

// Views into the connection's arena: valid until it is reset for the next request.
struct request_fields {
    std::string_view host;
    std::size_t hosts = 0;
    std::string_view transfer_encoding;       // the first Transfer-Encoding field (empty: none)
    std::string_view transfer_encoding_last;  // the last one: its last coding must be chunked
    bool has_transfer_encoding = false;
    std::string_view origin;
    std::string_view sec_fetch_site;
    std::string_view authorization;
    std::string_view cookie;
    std::string_view content_type;
    std::string_view idempotency_key;
    std::string_view last_event_id;
    // A WebSocket upgrade's fields (lib/protocol/ws_handshake checks them).
    std::string_view upgrade;
    std::string_view connection;
    std::string_view sec_websocket_key;
    std::string_view sec_websocket_version;
};

struct request {
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    std::string_view method_string;
    std::string_view target;
    unsigned version = 11;  // 10 or 11
    bool keep_alive = false;
    request_fields fields;
    std::string body;  // a plain string: it becomes the event's data
};

class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    // `arena` holds the copied request line and fields; it must outlive the request's use.
    explicit request_parser(std::pmr::memory_resource& arena) : arena_(arena) {}

    // The request read so far: complete once is_done().
    request& get() { return req_; }

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target, int version,
                         error_code& ec) override;
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
    void on_finish_impl(error_code&) override {}

    std::string_view keep(string_view s);

    std::pmr::memory_resource& arena_;
    request req_;
};

}  // namespace herald::sidecar
