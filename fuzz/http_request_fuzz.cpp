// Fuzzes the HTTP request reader (sidecar/request_parser: Beast's basic_parser with herald's
// handler), fed as sidecar/http_session feeds it: bytes put from a buffer, the used part consumed,
// then a fresh parser for the next pipelined request (up to 8). Input: byte 0 picks the chunk size
// (1-64 bytes, or whole when 0) and byte 1 the limits (header 256 or 8192 bytes, body 64 bytes or
// 1 MiB); the rest is the bytes a client sends. Each chunk is put from a heap copy freed right
// after, so anything the request keeps must live in the arena (ASan reports a view into the input).
// Asserts: feeding in chunks gives exactly the requests of feeding whole, and a refusal when whole
// does (named alike or not; not compared when either hits the header limit, see below); a
// complete request has a method, a target, version 10 or 11, a body within the limit, a Host
// value only with Host, and Transfer-Encoding values only when sent.
#include <array>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "sidecar/request_parser.hpp"

using herald::sidecar::request;
using herald::sidecar::request_parser;
namespace http = boost::beast::http;

namespace {

struct field_copy {
    bool present = false;
    std::string value;
    bool operator==(const field_copy&) const = default;
};

field_copy copy(std::string_view v) { return {v.data() != nullptr, std::string(v)}; }

struct request_copy {
    int method = 0;
    std::string method_string, target, body;
    unsigned version = 0;
    bool keep_alive = false;
    std::size_t hosts = 0;
    bool has_transfer_encoding = false;
    std::vector<field_copy> fields;
    bool operator==(const request_copy&) const = default;
};

request_copy copy(const request& r) {
    const auto& f = r.fields;
    request_copy c{static_cast<int>(r.method), std::string(r.method_string), std::string(r.target), r.body,
                   r.version, r.keep_alive, f.hosts, f.has_transfer_encoding, {}};
    for (auto v : {f.host, f.transfer_encoding, f.transfer_encoding_last, f.origin, f.sec_fetch_site, f.authorization,
                   f.cookie, f.content_type, f.idempotency_key, f.last_event_id, f.upgrade, f.connection,
                   f.sec_websocket_key, f.sec_websocket_version})
        c.fields.push_back(copy(v));
    return c;
}

struct outcome {
    std::vector<request_copy> requests;
    boost::beast::error_code error;  // the request after the last complete one failed with it
    // The same requests, and a refusal in both or neither: Beast may name it differently (a header
    // it finds malformed when it has all of it can be a partial message when read in pieces, as the
    // end of the header is then never found).
    bool operator==(const outcome& o) const { return requests == o.requests && !error == !o.error; }
};

void check_request(const request& r, std::uint64_t body_limit) {
    FUZZ_CHECK(!r.method_string.empty(), "a complete request has a method");
    FUZZ_CHECK(!r.target.empty(), "a complete request has a target");
    FUZZ_CHECK(r.version == 10 || r.version == 11, "version is 10 or 11");
    FUZZ_CHECK(r.body.size() <= body_limit, "the body is within the limit");
    FUZZ_CHECK(r.fields.hosts > 0 || r.fields.host.empty(), "a Host value only when Host was sent");
    FUZZ_CHECK(r.fields.has_transfer_encoding || (r.fields.transfer_encoding.empty() && r.fields.transfer_encoding_last.empty()),
               "Transfer-Encoding values only when sent");
}

outcome feed(std::string_view wire, std::size_t step, std::uint32_t header_limit, std::uint64_t body_limit) {
    outcome out;
    std::array<std::byte, 256> block;
    std::pmr::monotonic_buffer_resource arena{block.data(), block.size()};
    std::optional<request_parser> parser;
    auto fresh = [&] {
        parser.reset();
        arena.release();
        parser.emplace(arena);
        parser->eager(true);
        parser->header_limit(header_limit);
        parser->body_limit(body_limit);
    };
    fresh();
    std::string pending;
    std::size_t at = 0;
    while (out.requests.size() < 8) {
        if (at < wire.size()) {
            const auto n = std::min(step, wire.size() - at);
            pending.append(wire.substr(at, n));
            at += n;
        }
        bool progress = true;
        while (!pending.empty() && progress) {
            auto input = std::make_unique<char[]>(pending.size());
            std::memcpy(input.get(), pending.data(), pending.size());
            boost::beast::error_code ec;
            const auto used = parser->put(boost::asio::buffer(input.get(), pending.size()), ec);
            input.reset();
            pending.erase(0, used);
            if (ec == http::error::need_more) break;
            if (ec) {
                out.error = ec;
                return out;
            }
            if (parser->is_done()) {
                check_request(parser->get(), body_limit);
                out.requests.push_back(copy(parser->get()));
                if (out.requests.size() == 8) return out;
                fresh();
            }
            progress = used != 0;
        }
        if (at >= wire.size()) break;
    }
    if (parser->got_some() && out.requests.size() < 8) {
        boost::beast::error_code ec;
        parser->put_eof(ec);
        if (!ec && parser->is_done()) {
            check_request(parser->get(), body_limit);
            out.requests.push_back(copy(parser->get()));
        } else {
            out.error = ec ? ec : boost::beast::error_code(http::error::partial_message);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t step = data[0] % 65;
    const std::uint32_t header_limit = (data[1] & 1) ? 256 : 8192;
    const std::uint64_t body_limit = (data[1] & 2) ? 64 : 1 << 20;
    const auto wire = herald::fuzz::as_text(data + 2, size - 2);
    const auto whole = feed(wire, wire.size() + 1, header_limit, body_limit);
    if (step != 0) {
        const auto chunked = feed(wire, step, header_limit, body_limit);
        // Beast applies the header limit to the request line and to the fields separately when it
        // has the whole header at once, and to both together when it has looked at part of it
        // before: near the limit, whole and chunked may disagree (memory stays within twice it).
        const bool limit_hit = whole.error == http::error::header_limit || chunked.error == http::error::header_limit;
        FUZZ_CHECK(limit_hit || chunked == whole, "feeding in chunks gives what feeding whole gives");
    }
    return 0;
}
