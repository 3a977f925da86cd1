// The request header fields herald reads, found in one pass over the parsed header instead of a
// lookup per field (each lookup walks Beast's ordered set with a case-insensitive compare). For a
// field given more than once the first counts, as with `req[field]`; Host is also counted.
// Views into the request: valid while it lives. Pure; called on the connection's shard thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <memory_resource>
#include <string_view>

namespace herald::sidecar {

// A request's header fields are allocated from its connection's arena (http_session), so parsing
// one takes no allocation per field; the body is a plain string (it becomes the event's data).
using request_allocator = std::pmr::polymorphic_allocator<char>;
using request = boost::beast::http::request<boost::beast::http::string_body,
                                            boost::beast::http::basic_fields<request_allocator>>;

struct request_fields {
    std::string_view host;
    std::size_t hosts = 0;
    bool transfer_encoding = false;  // present at all (request_guard checks its value)
    std::string_view origin;
    std::string_view sec_fetch_site;
    std::string_view authorization;
    std::string_view cookie;
    std::string_view content_type;
    std::string_view idempotency_key;
    std::string_view last_event_id;
};

request_fields scan_fields(const request& req);

}  // namespace herald::sidecar
