// Blocking loopback clients over plain sockets, for tests that need byte-level control:
// raw_connection (send anything, read with a timeout, see EOF), read_response (one HTTP reply),
// and sse_client (GET a stream, parse events as they come; not reading makes it a stalled reader).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/client/http_client.hpp"
#include "lib/protocol/sse_parser.hpp"

namespace herald::test {

using namespace std::chrono_literals;

class raw_connection {
public:
    // Connects to 127.0.0.1:port; rcvbuf > 0 sets SO_RCVBUF before connecting (a small window).
    explicit raw_connection(unsigned short port, int rcvbuf = 0);
    ~raw_connection();
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    bool connected() const { return fd_ >= 0 && connected_; }
    bool send(std::string_view bytes);
    // Reads whatever arrives within `timeout` into data(); false on timeout. Sets closed() on EOF/reset.
    bool read_some(std::chrono::milliseconds timeout);
    // Reads until pred(data()) holds; false on timeout or close without it holding.
    bool read_until(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout = 5s);
    bool read_until_contains(std::string_view needle, std::chrono::milliseconds timeout = 5s);
    // Reads (keeping the bytes) until the peer closes; false if still open after the timeout.
    bool wait_closed(std::chrono::milliseconds timeout = 5s);

    std::string& data() { return data_; }
    bool closed() const { return closed_; }
    bool reset() const { return reset_; }  // closed by RST rather than FIN
    void close();
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    bool reset_ = false;
    std::string data_;
};

struct http_response {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// Parses a response head from the front of `data`; nullopt until the head is complete.
// `head_size` receives the bytes the head took.
std::optional<http_response> parse_head(const std::string& data, std::size_t& head_size);

// Reads one HTTP response (body by Content-Length, else to EOF) from c; consumes it from c.data().
std::optional<http_response> read_response(raw_connection& c, std::chrono::milliseconds timeout = 5s);

// Sends a request on a fresh connection and reads the reply.
std::optional<http_response> raw_request(unsigned short port, const std::string& request,
                                         std::chrono::milliseconds timeout = 5s);

class sse_client {
public:
    // Connects, sends `GET target` with the headers, and reads the response head (and, for a
    // non-200, the whole body). For a 200 it also waits for the opening comment, which herald
    // flushes once the stream is registered with the hub.
    sse_client(unsigned short port, const std::string& target, const client::header_list& headers = {},
               int rcvbuf = 0);

    bool ok() const { return head_.status == 200; }
    unsigned status() const { return head_.status; }
    std::string header(const std::string& lower_name) const { return head_.header(lower_name); }
    const std::string& error_body() const { return head_.body; }

    // Events parsed so far (herald.* control events included), in arrival order.
    const std::vector<protocol::sse_message>& events() const { return events_; }
    // Waits until at least n events have been parsed.
    bool wait_events(std::size_t n, std::chrono::milliseconds timeout = 5s);
    // Waits for an event satisfying pred; returns it.
    std::optional<protocol::sse_message> wait_for(const std::function<bool(const protocol::sse_message&)>& pred,
                                                  std::chrono::milliseconds timeout = 5s);
    // Reads until the server closes (parsing all that comes before); false if still open.
    bool wait_closed(std::chrono::milliseconds timeout = 5s);
    bool closed() const { return conn_.closed(); }

    const std::string& body() const { return body_; }  // every byte after the head
    std::string last_id() const { return parser_.last_event_id(); }
    std::size_t comments() const { return parser_.comments_seen(); }
    std::optional<unsigned> retry_ms() const { return parser_.retry_ms(); }
    raw_connection& conn() { return conn_; }
    void close() { conn_.close(); }

private:
    bool pump(std::chrono::milliseconds timeout);  // one read; feeds the parser
    void feed(std::string_view bytes);

    raw_connection conn_;
    http_response head_;
    protocol::sse_parser parser_;
    std::vector<protocol::sse_message> events_;
    std::string body_;
};

// Builds "/v1/sse?channel=a&channel=b" plus extra query text (e.g. "envelope=json").
std::string sse_target(const std::vector<std::string>& channels, const std::string& extra = {});

}  // namespace herald::test
