// Redis connection: the Asio adapter for hiredis' event hooks, the handshake and reconnects.
// An `attempt` is one hiredis context; it keeps itself alive until hiredis frees the context
// (the cleanup hook, which runs after every pending callback), so no hook or callback ever sees a
// dangling pointer. Each attempt keeps the deadlines of the answers it still owes, oldest first.
#include "lib/broker/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <deque>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace herald::broker {

namespace asio = boost::asio;

struct redis_connection::attempt : std::enable_shared_from_this<attempt> {
    explicit attempt(asio::io_context& io) : sd(io) {}
    ~attempt() {
        if (sd.is_open()) sd.release();  // hiredis owns (and closes) the descriptor
    }

    redis_connection* owner = nullptr;  // nullptr once the connection gave this attempt up
    redisAsyncContext* ac = nullptr;    // nullptr once hiredis freed it
    asio::posix::stream_descriptor sd;
    std::shared_ptr<attempt> self;  // held until hiredis frees the context
    bool want_read = false, want_write = false, read_armed = false, write_armed = false;
    int handshake_left = 0;
    std::deque<std::chrono::steady_clock::time_point> awaiting;  // answers due, in send order

    void arm_read() {
        if (read_armed || !want_read || !ac) return;
        read_armed = true;
        sd.async_wait(asio::posix::stream_descriptor::wait_read, [a = shared_from_this()](boost::system::error_code ec) {
            a->read_armed = false;
            if (ec || !a->ac || !a->want_read) return;
            redisAsyncHandleRead(a->ac);
            a->arm_read();
        });
    }
    void arm_write() {
        if (write_armed || !want_write || !ac) return;
        write_armed = true;
        sd.async_wait(asio::posix::stream_descriptor::wait_write, [a = shared_from_this()](boost::system::error_code ec) {
            a->write_armed = false;
            if (ec || !a->ac || !a->want_write) return;
            redisAsyncHandleWrite(a->ac);
            a->arm_write();
        });
    }

    // hiredis' event hooks.
    static void add_read(void* p) {
        auto* a = static_cast<attempt*>(p);
        a->want_read = true;
        a->arm_read();
    }
    static void del_read(void* p) { static_cast<attempt*>(p)->want_read = false; }
    static void add_write(void* p) {
        auto* a = static_cast<attempt*>(p);
        a->want_write = true;
        a->arm_write();
    }
    static void del_write(void* p) { static_cast<attempt*>(p)->want_write = false; }
    static void cleanup(void* p) {
        auto* a = static_cast<attempt*>(p);
        auto keep = std::move(a->self);  // released when this hook returns
        a->want_read = a->want_write = false;
        a->ac = nullptr;
        boost::system::error_code ec;
        a->sd.cancel(ec);
        if (a->sd.is_open()) a->sd.release();
    }
};

namespace {

std::string reply_text(const redisReply* r) { return r && r->str ? std::string(r->str, r->len) : std::string(); }

}  // namespace

// One command in flight: its handler and the attempt that owes its answer.
struct redis_connection::pending_command {
    attempt* at;
    reply_handler handler;
};

void redis_connection::on_command_reply(redisAsyncContext*, void* reply, void* priv) {
    std::unique_ptr<pending_command> p(static_cast<pending_command*>(priv));
    if (reply && !p->at->awaiting.empty()) p->at->awaiting.pop_front();
    if (p->handler) p->handler(static_cast<redisReply*>(reply));
}

redis_connection::redis_connection(asio::io_context& io, redis_url url, redis_connection_options opts)
    : io_(io),
      url_(std::move(url)),
      opts_(opts),
      retry_timer_(io),
      connect_timer_(io),
      deadline_timer_(io),
      ping_timer_(io),
      backoff_(opts.reconnect_min) {}

redis_connection::~redis_connection() { close(); }

void redis_connection::start(std::function<void()> on_ready, std::function<void(const std::string&)> on_down) {
    on_ready_ = std::move(on_ready);
    on_down_ = std::move(on_down);
    closed_ = false;
    connect();
    schedule_ping();
}

void redis_connection::close() {
    closed_ = true;
    retry_timer_.cancel();
    connect_timer_.cancel();
    deadline_timer_.cancel();
    ping_timer_.cancel();
    ready_ = false;
    if (auto a = std::move(current_)) {
        a->owner = nullptr;
        if (a->ac) redisAsyncFree(a->ac);
    }
}

void redis_connection::connect() {
    if (closed_) return;
    redisAsyncContext* ac = redisAsyncConnect(url_.host.c_str(), url_.port);
    if (!ac || ac->err) {
        std::string why = ac && ac->errstr ? ac->errstr : "cannot allocate a connection";
        if (ac) redisAsyncFree(ac);
        asio::post(io_, [this, why] {
            if (!closed_ && on_down_) on_down_(why);
        });
        schedule_retry();
        return;
    }
    auto a = std::make_shared<attempt>(io_);
    boost::system::error_code ec;
    a->sd.assign(ac->c.fd, ec);
    if (ec) {
        redisAsyncFree(ac);
        asio::post(io_, [this, why = ec.message()] {
            if (!closed_ && on_down_) on_down_(why);
        });
        schedule_retry();
        return;
    }
    a->self = a;
    a->owner = this;
    a->ac = ac;
    current_ = a;
    ac->data = a.get();
    ac->ev.data = a.get();
    ac->ev.addRead = &attempt::add_read;
    ac->ev.delRead = &attempt::del_read;
    ac->ev.addWrite = &attempt::add_write;
    ac->ev.delWrite = &attempt::del_write;
    ac->ev.cleanup = &attempt::cleanup;
    redisAsyncSetConnectCallback(ac, [](const redisAsyncContext* c, int status) {
        if (status == REDIS_OK) return;
        auto* at = static_cast<attempt*>(c->data);
        if (at->owner) at->owner->fail(c->errstr ? c->errstr : "connect failed", false);
    });
    redisAsyncSetDisconnectCallback(ac, [](const redisAsyncContext* c, int status) {
        auto* at = static_cast<attempt*>(c->data);
        if (at->owner)
            at->owner->fail(status == REDIS_OK || !c->errstr ? "connection closed by the server" : c->errstr, false);
    });

    // The handshake, pipelined: AUTH, SELECT, PING; ready once every reply is fine.
    std::vector<std::vector<std::string>> steps;
    if (!url_.password.empty()) {
        if (url_.user.empty())
            steps.push_back({"AUTH", url_.password});
        else
            steps.push_back({"AUTH", url_.user, url_.password});
    }
    if (url_.db != 0) steps.push_back({"SELECT", std::to_string(url_.db)});
    steps.push_back({"PING"});
    a->handshake_left = static_cast<int>(steps.size());
    for (const auto& step : steps) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& s : step) {
            argv.push_back(s.data());
            lens.push_back(s.size());
        }
        redisAsyncCommandArgv(
            ac,
            [](redisAsyncContext*, void* r, void* priv) {
                auto* at = static_cast<attempt*>(priv);
                auto* reply = static_cast<redisReply*>(r);
                if (!at->owner || !reply) return;  // a lost connection is reported by the hooks above
                if (reply->type == REDIS_REPLY_ERROR) {
                    at->owner->fail("Redis refused the connection set-up: " + reply_text(reply));
                    return;
                }
                if (--at->handshake_left == 0) {
                    auto* self = at->owner;
                    self->ready_ = true;
                    self->timed_out_ = false;
                    self->backoff_ = self->opts_.reconnect_min;
                    self->connect_timer_.cancel();
                    if (self->on_ready_) self->on_ready_();
                }
            },
            a.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
    }
    connect_timer_.expires_after(opts_.connect_timeout);
    connect_timer_.async_wait([this, weak = std::weak_ptr<attempt>(a)](boost::system::error_code ec) {
        if (ec) return;
        auto at = weak.lock();
        if (at && at == current_ && !ready_)
            fail("no answer within " + std::to_string(opts_.connect_timeout.count()) + " ms", true, true);
    });
}

void redis_connection::fail(const std::string& why, bool free_context, bool timeout) {
    auto a = std::move(current_);
    if (!a) return;
    a->owner = nullptr;
    ready_ = false;
    timed_out_ = timeout;  // read by the handlers that get nullptr below
    connect_timer_.cancel();
    if (free_context && a->ac) redisAsyncFree(a->ac);  // deferred by hiredis when inside one of its callbacks
    asio::post(io_, [this, why] {
        if (!closed_ && on_down_) on_down_(why);
    });
    schedule_retry();
}

void redis_connection::schedule_retry() {
    if (closed_) return;
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, opts_.reconnect_max);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec && !closed_ && !current_) connect();
    });
}

bool redis_connection::command(const std::vector<std::string>& args, reply_handler handler) {
    if (!ready_ || !current_ || !current_->ac) return false;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& s : args) {
        argv.push_back(s.data());
        lens.push_back(s.size());
    }
    auto* p = new pending_command{current_.get(), std::move(handler)};
    if (redisAsyncCommandArgv(current_->ac, &on_command_reply, p, static_cast<int>(argv.size()), argv.data(),
                              lens.data()) != REDIS_OK) {
        delete p;
        return false;
    }
    expect_answer();
    return true;
}

bool redis_connection::subscribe(const std::vector<std::string>& args, reply_handler on_message) {
    if (!ready_ || !current_ || !current_->ac) return false;
    on_message_ = std::move(on_message);
    subscription_ = args;
    return send_subscribe();
}

// Sends the subscription (again: Redis confirms a repeated one without changing anything, and
// hiredis keeps one callback per pattern, so it doubles as the probe of a subscribed connection).
// Every confirmation answers the oldest deadline.
bool redis_connection::send_subscribe() {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& s : subscription_) {
        argv.push_back(s.data());
        lens.push_back(s.size());
    }
    const bool sent =
        redisAsyncCommandArgv(
            current_->ac,
            [](redisAsyncContext*, void* r, void* priv) {
                auto* at = static_cast<attempt*>(priv);
                auto* reply = static_cast<redisReply*>(r);
                if (!reply) return;
                if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && reply->element[0]->str) {
                    const std::string_view kind(reply->element[0]->str, reply->element[0]->len);
                    if ((kind == "psubscribe" || kind == "subscribe") && !at->awaiting.empty()) at->awaiting.pop_front();
                }
                if (!at->owner || !at->owner->on_message_) return;
                at->owner->on_message_(reply);
            },
            current_.get(), static_cast<int>(argv.size()), argv.data(), lens.data()) == REDIS_OK;
    if (sent)
        for (std::size_t i = 1; i < subscription_.size(); ++i) expect_answer();  // one confirmation per name
    return sent;
}

void redis_connection::expect_answer() {
    current_->awaiting.push_back(std::chrono::steady_clock::now() + opts_.command_timeout);
    arm_deadline();
}

void redis_connection::arm_deadline() {
    if (deadline_armed_ || !current_ || current_->awaiting.empty()) return;
    deadline_armed_ = true;
    deadline_timer_.expires_at(current_->awaiting.front());
    deadline_timer_.async_wait([this](boost::system::error_code ec) {
        deadline_armed_ = false;
        if (ec || closed_ || !current_ || current_->awaiting.empty()) return;
        if (current_->awaiting.front() <= std::chrono::steady_clock::now()) {
            fail("no answer within " + std::to_string(opts_.command_timeout.count()) + " ms", true, true);
            return;
        }
        arm_deadline();  // the oldest was answered; watch the next one
    });
}

void redis_connection::schedule_ping() {
    if (closed_ || opts_.ping_interval.count() <= 0) return;
    ping_timer_.expires_after(opts_.ping_interval);
    ping_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || closed_) return;
        // Only when nothing is awaited: a pending command is already a probe with a deadline.
        if (ready_ && current_ && current_->ac && current_->awaiting.empty()) {
            if (subscription_.empty() || !on_message_)
                command({"PING"}, [](redisReply*) {});
            else
                send_subscribe();
        }
        schedule_ping();
    });
}

}  // namespace herald::broker
