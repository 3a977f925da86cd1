// One webhook endpoint's sender: the queue decides what and when, this file does the HTTP (Beast,
// async on the presence io_context) and the logging and metrics. See the header for the contract.
#include "sidecar/webhook_sender.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "lib/presence/webhook_signature.hpp"

namespace herald::sidecar {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Where the endpoint is, for logs: scheme, host, port and path; never the query (it may hold a token).
std::string shown(const presence::webhook_url& u) {
    return "http://" + u.host_header() + u.target.substr(0, u.target.find('?'));
}

presence::webhook_queue_options queue_options(const config::webhooks_config& cfg, const std::string& node) {
    presence::webhook_queue_options o;
    o.capacity = cfg.queue_size;
    o.batch_size = cfg.batch_size;
    o.retry_min_ms = cfg.retry_min_ms;
    o.retry_max_ms = cfg.retry_max_ms;
    o.give_up_ms = cfg.give_up_ms;
    o.node = node;
    return o;
}

}  // namespace

webhook_sender::webhook_sender(asio::io_context& io, presence::webhook_url url, const config::webhooks_config& cfg,
                               std::string node, sequence_source next_seq, metrics& counters,
                               std::shared_ptr<spdlog::logger> log)
    : io_(io),
      url_(std::move(url)),
      secret_(cfg.secret),
      timeout_ms_(cfg.timeout_ms > 0 ? cfg.timeout_ms : 1),
      capacity_(cfg.queue_size),
      give_up_ms_(cfg.give_up_ms),
      node_(std::move(node)),
      counters_(counters),
      log_(std::move(log)),
      random_(std::random_device{}()),
      queue_(queue_options(cfg, node_), std::move(next_seq),
             [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); },
             [] {
                 return std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                     .count();
             }),
      resolver_(io),
      retry_timer_(io) {}

webhook_sender::~webhook_sender() {
    counters_.webhook_queue_depth.fetch_sub(reported_depth_, std::memory_order_relaxed);
}

std::int64_t webhook_sender::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void webhook_sender::push(presence::lifecycle_event item) {
    if (stopped_) return;
    if (queue_.push(std::move(item)) == presence::push_outcome::overflowed)
        log_->warn("webhook {}: queue full ({} items); dropped the queue, the app gets one resync (reason queue_overflow)",
                   shown(url_), capacity_);
    sync_metrics();
    pump();
}

void webhook_sender::stop() {
    asio::dispatch(io_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->retry_timer_.cancel();
        self->resolver_.cancel();
        if (self->stream_) {
            beast::error_code ec;
            self->stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
            self->stream_->socket().close(ec);
        }
    });
}

void webhook_sender::pump() {
    if (stopped_ || sending_) return;
    const auto now = now_ms();
    auto batch = queue_.take(now);
    if (!batch.empty()) {
        send(std::move(batch));
        sync_metrics();
        return;
    }
    if (queue_.depth() > 0 && !queue_.in_flight()) arm_retry();
}

void webhook_sender::arm_retry() {
    if (retry_armed_) return;
    retry_armed_ = true;
    const auto wait = std::max<std::int64_t>(queue_.next_attempt_ms() - now_ms(), 0);
    retry_timer_.expires_after(std::chrono::milliseconds(wait));
    retry_timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        self->retry_armed_ = false;
        if (ec || self->stopped_) return;
        self->pump();
    });
}

void webhook_sender::send(std::vector<presence::lifecycle_event> batch) {
    sending_ = true;
    request_ = {};
    request_.method(http::verb::post);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host_header());
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::user_agent, "herald");
    request_.set("Herald-Node", node_);
    request_.body() = presence::batch_json(batch);
    if (!secret_.empty()) {
        const auto unix_s =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        request_.set("Herald-Signature", presence::sign_webhook(secret_, unix_s, request_.body()));
    }
    request_.keep_alive(true);
    request_.prepare_payload();
    if (stream_ && stream_->socket().is_open()) {
        reused_ = true;
        stream_->expires_after(std::chrono::milliseconds(timeout_ms_));  // connect to answer: one deadline
        write_request();
    } else {
        connect_and_write();
    }
}

void webhook_sender::connect_and_write() {
    reused_ = false;
    close_connection();
    beast::error_code ec;
    // Synchronous: the host is nearly always an IP literal or localhost (no DNS round trip).
    const auto found = resolver_.resolve(url_.host, url_.port, ec);
    if (ec) return finish(false, "cannot resolve " + url_.host + ": " + ec.message());
    stream_.emplace(io_);
    stream_->expires_after(std::chrono::milliseconds(timeout_ms_));
    stream_->async_connect(found, [self = shared_from_this()](const beast::error_code& ec,
                                                              const asio::ip::tcp::endpoint&) {
        if (self->stopped_) return self->finish(false, "stopped");
        if (ec) return self->failed_io(ec, "cannot connect");
        self->write_request();
    });
}

void webhook_sender::write_request() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    buffer_.clear();
    http::async_write(*stream_, request_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
        if (self->stopped_) return self->finish(false, "stopped");
        if (ec) return self->failed_io(ec, "cannot send");
        http::async_read(*self->stream_, self->buffer_, *self->parser_,
                         [self](const beast::error_code& ec, std::size_t) {
                             if (self->stopped_) return self->finish(false, "stopped");
                             if (ec) return self->failed_io(ec, "no answer");
                             const auto& res = self->parser_->get();
                             const unsigned status = res.result_int();
                             if (!res.keep_alive()) self->close_connection();
                             else self->stream_->expires_never();
                             if (status >= 200 && status < 300) return self->finish(true, "");
                             self->finish(false, "answered " + std::to_string(status));
                         });
    });
}

void webhook_sender::failed_io(const beast::error_code& ec, const char* what) {
    const bool timed_out = ec == beast::error::timeout;
    close_connection();
    // A kept-alive connection the app closed while idle fails before any answer: that is no
    // failure of the app, so the batch goes again at once on a new connection.
    if (reused_ && !timed_out && !(parser_ && parser_->got_some())) return connect_and_write();
    finish(false, timed_out ? "no answer within " + std::to_string(timeout_ms_) + " ms"
                            : std::string(what) + ": " + ec.message());
}

void webhook_sender::close_connection() {
    if (!stream_) return;
    beast::error_code ec;
    stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_->socket().close(ec);
    stream_.reset();
}

void webhook_sender::finish(bool ok, const std::string& why) {
    sending_ = false;
    if (stopped_) {
        close_connection();
        return;
    }
    const auto now = now_ms();
    if (ok) {
        const auto failed_before = queue_.failing_attempts();
        queue_.delivered(now);
        if (failed_before > 0)
            log_->info("webhook {}: delivering again after {} failed attempts", shown(url_), failed_before);
    } else {
        const bool streak_starts = queue_.failing_attempts() == 0;
        const auto outcome = queue_.failed(now);
        if (outcome == presence::failure_outcome::gave_up)
            log_->error("webhook {}: failing for more than {} ms ({}); dropped the queue, the app gets one resync "
                        "(reason unreachable) once it answers",
                        shown(url_), give_up_ms_, why);
        else if (streak_starts)
            log_->warn("webhook {}: POST failed ({}); retrying with backoff, {} items wait", shown(url_), why,
                       queue_.depth());
    }
    sync_metrics();
    pump();
}

void webhook_sender::sync_metrics() {
    const auto& c = queue_.counts();
    auto add = [](metrics::counter& m, std::uint64_t now, std::uint64_t& before) {
        if (now > before) m.fetch_add(now - before, std::memory_order_relaxed);
        before = now;
    };
    add(counters_.webhook_items_sent, c.sent, reported_.sent);
    add(counters_.webhook_retries, c.retries, reported_.retries);
    add(counters_.webhook_failures, c.failures, reported_.failures);
    add(counters_.webhook_resyncs, c.resyncs, reported_.resyncs);
    const auto depth = static_cast<std::int64_t>(queue_.depth());
    counters_.webhook_queue_depth.fetch_add(depth - reported_depth_, std::memory_order_relaxed);
    reported_depth_ = depth;
}

}  // namespace herald::sidecar
