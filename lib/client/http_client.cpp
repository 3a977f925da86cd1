// HTTP client on Beast: resolve, connect, write, read, all under one deadline.
#include "lib/client/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

namespace herald::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

model::result<server_url> parse_url(const std::string& url) {
    std::string rest = url;
    if (rest.rfind("https://", 0) == 0)
        return model::error{"invalid_url", 0, "URL '" + url + "' uses https, which the CLI does not speak",
                            "point --url at the internal listener, e.g. http://127.0.0.1:8081"};
    if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
    if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
    server_url u;
    u.text = url;
    if (rest.empty()) return model::error{"invalid_url", 0, "URL '" + url + "' has no host", "use http://HOST:PORT"};
    if (rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos) return model::error{"invalid_url", 0, "URL '" + url + "' is malformed", "use http://HOST:PORT"};
        u.host = rest.substr(1, close - 1);
        u.port = close + 2 <= rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "80";
    } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        u.host = rest.substr(0, colon);
        u.port = rest.substr(colon + 1);
    } else {
        u.host = rest;
        u.port = "80";
    }
    if (u.host.empty()) return model::error{"invalid_url", 0, "URL '" + url + "' has no host", "use http://HOST:PORT"};
    if (u.port.empty() || u.port.size() > 5 || u.port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(u.port) == 0 || std::stoul(u.port) > 65535)
        return model::error{"invalid_url", 0, "URL '" + url + "' has an invalid port", "use http://HOST:PORT with a port from 1 to 65535"};
    return u;
}

namespace {

// Where an exchange stopped, for the error: each step has its own message and hint.
enum class step { resolve, connect, send, receive, done };

std::string seconds_text(std::chrono::milliseconds t) {
    const auto ms = t.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

model::error failure(const server_url& url, step at, const std::string& why) {
    switch (at) {
        case step::resolve:
            return {"unreachable", 0, "cannot resolve " + url.text + ": " + why, "check --url or HERALD_URL"};
        case step::connect:
            return {"unreachable", 0, "cannot connect to " + url.text + ": " + why,
                    "is `herald serve` running there? set --url or HERALD_URL to its internal listener"};
        case step::send:
            return {"unreachable", 0, "cannot send to " + url.text + ": " + why, "check the server log"};
        default:
            return {"unreachable", 0, "no reply from " + url.text + ": " + why,
                    "is that address a herald internal listener?"};
    }
}

}  // namespace

// Connect, send and receive run asynchronously on this call's own io_context for at most
// `timeout` in all: Beast's synchronous connect, write and read ignore a stream's expiry, so a
// listener that accepts and never answers would hang the caller.
model::result<http_reply> http_request(const server_url& url, const std::string& method, const std::string& target,
                                       const std::string& body, const std::string& content_type,
                                       const header_list& headers, std::chrono::milliseconds timeout) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, url.host + ":" + url.port);
    req.set(http::field::user_agent, std::string("herald-cli/") + HERALD_VERSION);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.keep_alive(false);
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);

    // Resolving is synchronous: instant for the IP literals herald's URLs usually hold, and an
    // asynchronous resolve would start a thread on every call.
    beast::error_code ec;
    const auto found = resolver.resolve(url.host, url.port, ec);
    if (ec) return failure(url, step::resolve, ec.message());
    step at = step::connect;
    stream.expires_after(timeout);
    stream.async_connect(found, [&](beast::error_code e, const asio::ip::tcp::endpoint&) {
        if ((ec = e)) return;
        at = step::send;
        http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
            if ((ec = e)) return;
            at = step::receive;
            http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
                if (!(ec = e)) at = step::done;
            });
        });
    });
    io.run_for(timeout);
    if (at != step::done) {
        if (ec && ec != beast::error::timeout) return failure(url, at, ec.message());
        return failure(url, at, "no answer within " + seconds_text(timeout));
    }
    auto& res = parser.get();
    http_reply out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.content_type = std::string(res[http::field::content_type]);
    return out;
}

model::error reply_error(const http_reply& reply) {
    auto j = nlohmann::json::parse(reply.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        const auto& e = j["error"];
        return model::error{e.value("code", "error"), static_cast<int>(reply.status), e.value("message", ""),
                            e.value("hint", "")};
    }
    return model::error{"http_" + std::to_string(reply.status), static_cast<int>(reply.status),
                        "server answered " + std::to_string(reply.status), reply.body.substr(0, 200)};
}

std::string url_encode(const std::string& s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '@' || c == '/') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace herald::client
