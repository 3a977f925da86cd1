// One Redis connection: hiredis' async context (its reply parser and pipelining) driven by an Asio
// io_context through an adapter that maps hiredis' addRead/delRead/addWrite/delWrite/cleanup hooks
// onto async_wait on a stream_descriptor. It connects, AUTHs, SELECTs, PINGs, then reports ready;
// when a connect fails or the connection drops it reports down and reconnects by itself with a
// capped exponential backoff, until close().
// Deadlines: every command (and every subscription confirmation) must be answered within
// command_timeout; replies come in order, so one timer watches the oldest one. A late answer
// recycles the connection: its pending handlers get nullptr with timed_out() true, it reports down
// and reconnects. When idle it is probed every ping_interval (PING; on a subscribed connection the
// subscription is sent again, whose confirmation is the answer), so a hung Redis is noticed even
// when nothing is published.
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
struct redisAsyncContext;

namespace herald::broker {

struct redis_connection_options {
    std::chrono::milliseconds connect_timeout{2000};  // a connect (with AUTH/SELECT/PING) taking longer fails
    std::chrono::milliseconds reconnect_min{50};      // the first retry waits this long, each next one twice as
    std::chrono::milliseconds reconnect_max{2000};    // long, up to this
    std::chrono::milliseconds command_timeout{2000};  // a command not answered by then recycles the connection
    std::chrono::milliseconds ping_interval{1000};    // an idle connection is probed this often (0: never)
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

    // Starts connecting. on_ready: connected and set up; on_down(why): a connect failed, the
    // connection dropped or Redis did not answer in time (a retry is scheduled already). Neither is
    // called after close().
    void start(std::function<void()> on_ready, std::function<void(const std::string&)> on_down);
    // Frees the context: pending handlers get nullptr; no reconnect.
    void close();

    bool ready() const { return ready_; }
    // Whether the connection is down (or the nullptr replies being handed out now are) because
    // Redis did not answer in time, rather than refused or closed the connection.
    bool timed_out() const { return timed_out_; }
    // Sends a command (binary-safe arguments); false when not ready (the handler is not called).
    bool command(const std::vector<std::string>& args, reply_handler handler);
    // Sends SUBSCRIBE/PSUBSCRIBE: `on_message` gets every reply on this connection from then on
    // (the confirmation first). Pub/sub messages of one connection arrive in publish order.
    bool subscribe(const std::vector<std::string>& args, reply_handler on_message);

    const redis_url& url() const { return url_; }

private:
    struct attempt;
    struct pending_command;
    static void on_command_reply(redisAsyncContext*, void* reply, void* priv);
    void connect();
    // Gives the current attempt up, reports it and schedules a retry; free_context is false when
    // hiredis is freeing the context itself (its connect/disconnect callbacks).
    void fail(const std::string& why, bool free_context = true, bool timeout = false);
    void schedule_retry();
    // Records that an answer is due (now + command_timeout) and arms the deadline timer.
    void expect_answer();
    void arm_deadline();
    void schedule_ping();
    bool send_subscribe();

    boost::asio::io_context& io_;
    redis_url url_;
    redis_connection_options opts_;
    std::function<void()> on_ready_;
    std::function<void(const std::string&)> on_down_;
    std::shared_ptr<attempt> current_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer connect_timer_;
    boost::asio::steady_timer deadline_timer_;
    boost::asio::steady_timer ping_timer_;
    std::chrono::milliseconds backoff_;
    reply_handler on_message_;
    std::vector<std::string> subscription_;  // what subscribe() sent, resent as the probe
    bool ready_ = false;
    bool closed_ = true;
    bool timed_out_ = false;
    bool deadline_armed_ = false;
};

}  // namespace herald::broker
