// Delivers lifecycle webhook items to ONE app endpoint, at least once: items wait in a
// presence::webhook_queue (bounded, batches, backoff, overflow/give-up resyncs) and go out as
// JSON POSTs over one kept-alive HTTP/1.1 connection, one POST at a time, each bounded by
// webhooks.timeout_ms from connect to the end of the answer. 2xx = delivered; any other status,
// a timeout or a connection error = failed, retried after the queue's backoff (a new connection).
// Headers: Content-Type: application/json, User-Agent: herald, Herald-Node, and Herald-Signature
// (presence/webhook_signature) when webhooks.secret is set.
// Threading: everything runs on the io_context given (one thread); push() and stop() are called
// on that thread (stop() may also be called from another thread: it is dispatched there).
// Lifetime: create with std::make_shared; pending operations hold a reference, so call stop()
// and let the io_context run (or be destroyed) to release it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/presence/lifecycle_event.hpp"
#include "lib/presence/webhook_queue.hpp"
#include "lib/presence/webhook_url.hpp"
#include "sidecar/metrics.hpp"

namespace spdlog {
class logger;
}

namespace herald::sidecar {

class webhook_sender : public std::enable_shared_from_this<webhook_sender> {
public:
    using sequence_source = std::function<std::uint64_t()>;  // the node's next node_seq (shared)

    // `url`: one of cfg.urls, parsed by presence::parse_webhook_url. From `cfg` it uses
    // queue_size, batch_size, timeout_ms, retry_min_ms, retry_max_ms, give_up_ms and secret
    // (not urls, events, debounce_ms). `node`: this node's id (Herald-Node, resync items).
    // `next_seq`: the same sequence the items' node_seq come from; called for resync items.
    webhook_sender(boost::asio::io_context& io, presence::webhook_url url, const config::webhooks_config& cfg,
                   std::string node, sequence_source next_seq, metrics& counters,
                   std::shared_ptr<spdlog::logger> log);
    ~webhook_sender();
    webhook_sender(const webhook_sender&) = delete;
    webhook_sender& operator=(const webhook_sender&) = delete;

    // Queues one item (its node_seq already set) and sends when nothing is in flight.
    void push(presence::lifecycle_event item);
    // Cancels the POST in flight and the retry timer, closes the connection; items still waiting
    // are not sent. Later push() calls are ignored.
    void stop();
    std::size_t depth() const { return queue_.depth(); }  // items waiting, the batch in flight included
    // Nothing waits and no POST is in flight (at stop: everything was delivered).
    bool idle() const { return !sending_ && queue_.depth() == 0; }
    // The newest position the app acknowledged (0: none yet) and the id of the last item it
    // acknowledged (empty: none yet); for GET /v1/presence.
    std::uint64_t last_delivered_position() const { return queue_.last_delivered_position(); }
    const std::string& last_delivered_id() const { return queue_.last_delivered_id(); }
    const presence::webhook_queue_counts& counts() const { return queue_.counts(); }
    const presence::webhook_url& url() const { return url_; }

private:
    void pump();
    void send(std::vector<presence::lifecycle_event> batch);
    void connect_and_write();
    void write_request();
    void failed_io(const boost::beast::error_code& ec, const char* what);
    void finish(bool ok, const std::string& why);
    void arm_retry();
    void close_connection();
    void sync_metrics();
    std::int64_t now_ms() const;

    boost::asio::io_context& io_;
    presence::webhook_url url_;
    std::string secret_;
    std::int64_t timeout_ms_;
    std::size_t capacity_;
    std::int64_t give_up_ms_;
    std::string node_;
    metrics& counters_;
    std::shared_ptr<spdlog::logger> log_;
    std::minstd_rand random_;
    presence::webhook_queue queue_;

    boost::asio::ip::tcp::resolver resolver_;
    std::optional<boost::beast::tcp_stream> stream_;  // the kept-alive connection, if any
    boost::asio::steady_timer retry_timer_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::string_body> request_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
    std::size_t batch_items_ = 0;
    bool sending_ = false;
    bool reused_ = false;       // the POST in flight went over a kept-alive connection
    bool retry_armed_ = false;
    bool stopped_ = false;
    presence::webhook_queue_counts reported_;  // counts already added to the metrics
    std::int64_t reported_depth_ = 0;
};

}  // namespace herald::sidecar
