// Request parser handler: the request line and the fields herald reads, copied into the arena;
// the body appended to a string. Known fields by Beast's enum, the others by a case-insensitive name.
#include "sidecar/request_parser.hpp"

#include <cstring>

#include "lib/util/ascii.hpp"

namespace herald::sidecar {

namespace {
namespace http = boost::beast::http;

}  // namespace

std::string_view request_parser::keep(string_view s) {
    if (s.empty()) return {};
    auto* p = static_cast<char*>(arena_.allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
}

void request_parser::on_request_impl(http::verb method, string_view method_str, string_view target, int version,
                                     error_code&) {
    req_.method = method;
    req_.method_string = keep(method_str);
    req_.target = keep(target);
    req_.version = static_cast<unsigned>(version);
}

void request_parser::on_field_impl(http::field name, string_view name_string, string_view value, error_code&) {
    auto& f = req_.fields;
    auto first = [&](std::string_view& slot) {
        if (slot.data() == nullptr) slot = value.empty() ? std::string_view("", 0) : keep(value);
    };
    switch (name) {
        case http::field::host:
            if (f.hosts++ == 0) f.host = keep(value);
            return;
        case http::field::transfer_encoding:
            if (!f.has_transfer_encoding) f.transfer_encoding = keep(value);
            f.has_transfer_encoding = true;
            f.transfer_encoding_last = keep(value);
            return;
        case http::field::origin:
            return first(f.origin);
        case http::field::sec_fetch_site:
            return first(f.sec_fetch_site);
        case http::field::authorization:
            return first(f.authorization);
        case http::field::cookie:
            return first(f.cookie);
        case http::field::content_type:
            return first(f.content_type);
        case http::field::upgrade:
            return first(f.upgrade);
        case http::field::connection:
            return first(f.connection);
        case http::field::sec_websocket_key:
            return first(f.sec_websocket_key);
        case http::field::sec_websocket_version:
            return first(f.sec_websocket_version);
        case http::field::unknown:
            if (util::iequals(name_string, "Idempotency-Key"))
                first(f.idempotency_key);
            else if (util::iequals(name_string, "Last-Event-ID"))
                first(f.last_event_id);
            return;
        default:
            return;
    }
}

void request_parser::on_header_impl(error_code&) { req_.keep_alive = keep_alive(); }

void request_parser::on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code&) {
    if (content_length) req_.body.reserve(static_cast<std::size_t>(*content_length));  // within body_limit
}

std::size_t request_parser::on_body_impl(string_view body, error_code&) {
    req_.body.append(body.data(), body.size());
    return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
    req_.body.append(body.data(), body.size());
    return body.size();
}

}  // namespace herald::sidecar
