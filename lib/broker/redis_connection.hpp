// One Redis connection: hiredis' async context (its reply parser and pipelining) driven by an Asio
// io_context through an adapter that maps hiredis' addRead/delRead/addWrite/delWrite/cleanup hooks
// onto async_wait on a stream_descriptor. It connects, AUTHs, SELECTs, PINGs, then reports ready;
// when a connect fails or the connection drops it reports down and reconnects by itself with a
// capped exponential backoff, until close().
// Threading: every member, and every callback it makes, runs on the io_context's one thread.
// Nothing here blocks except hiredis' host name lookup at connect (on that same, private, thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/broker/redis_url.hpp"

struct redisReply;

namespace herald::broker {

struct redis_connection_options {
    std::chrono::milliseconds connect_timeout{2000};  // a connect (with AUTH/SELECT/PING) taking longer fails
    std::chrono::milliseconds reconnect_min{50};      // the first retry waits this long, each next one twice as
    std::chrono::milliseconds reconnect_max{2000};    // long, up to this
};

class redis_connection {
public:
    // The reply, or nullptr when the connection failed before the reply came (the command may or
    // may not have run). A reply is valid only during the call.
    using reply_handler = std::function<void(redisReply*)>;

    redis_connection(boost::asio::io_context& io, redis_url url, redis_connection_options opts);
    ~redis_connection();  // close()
    redis_connection(const redis_connection&) = delete;
    redis_connection& operator=(const redis_connection&) = delete;

    // Starts connecting. on_ready: connected and set up; on_down(why): a connect failed or the
    // connection dropped (a retry is scheduled already). Neither is called after close().
    void start(std::function<void()> on_ready, std::function<void(const std::string&)> on_down);
    // Frees the context: pending handlers get nullptr; no reconnect.
    void close();

    bool ready() const { return ready_; }
    // Sends a command (binary-safe arguments); false when not ready (the handler is not called).
    bool command(const std::vector<std::string>& args, reply_handler handler);
    // Sends SUBSCRIBE/PSUBSCRIBE: `on_message` gets every reply on this connection from then on
    // (the confirmation first). Pub/sub messages of one connection arrive in publish order.
    bool subscribe(const std::vector<std::string>& args, reply_handler on_message);

    const redis_url& url() const { return url_; }

private:
    struct attempt;
    void connect();
    // Gives the current attempt up, reports it and schedules a retry; free_context is false when
    // hiredis is freeing the context itself (its connect/disconnect callbacks).
    void fail(const std::string& why, bool free_context = true);
    void schedule_retry();

    boost::asio::io_context& io_;
    redis_url url_;
    redis_connection_options opts_;
    std::function<void()> on_ready_;
    std::function<void(const std::string&)> on_down_;
    std::shared_ptr<attempt> current_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer connect_timer_;
    std::chrono::milliseconds backoff_;
    reply_handler on_message_;
    bool ready_ = false;
    bool closed_ = true;
};

}  // namespace herald::broker
