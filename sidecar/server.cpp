// Server: construction order = lifetime order; stop = close acceptors, goodbye to streams,
// wait for shards to drain (bounded by shutdown_timeout), join.
#include "sidecar/server.hpp"

#include <boost/asio/post.hpp>
#include <thread>

#include "lib/broker/memory_broker.hpp"
#include "sidecar/auth_setup.hpp"

namespace herald::sidecar {

server::server(config::config cfg, std::shared_ptr<spdlog::logger> log) : cfg_(std::move(cfg)), log_(std::move(log)) {
    unsigned threads = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    // One coarse sweep per shard drives keepalives, pings and idle timeouts.
    std::int64_t tick = std::min<std::int64_t>({1000, cfg_.sse.keepalive_ms, cfg_.ws.ping_interval_ms});
    shards_ = std::make_unique<shard_pool>(threads, std::max<std::int64_t>(tick, 10));
    if (cfg_.broker != "memory")
        throw std::runtime_error("broker '" + cfg_.broker + "' is not supported by this build (use 'memory')");
    broker::memory_broker_options mo;
    mo.history_size = cfg_.history.size;
    mo.history_ttl_ms = cfg_.history.ttl_ms;
    mo.idempotency_window_ms = cfg_.history.idempotency_window_ms;
    broker_ = std::make_unique<broker::memory_broker>(clock_, mo);
    hub_ = std::make_unique<channels::hub>(*shards_);
    node_ = std::make_unique<node::node>(*broker_, *hub_);
    auth_ = make_access_policy(cfg_, clock_);
    metrics_ = std::make_unique<metrics>(shards_->shard_count());
    services_ = std::unique_ptr<services>(new services{cfg_, *auth_, *node_, *metrics_, *shards_, *log_});
}

server::~server() {
    stop();
    wait();
}

void server::start() {
    auto& io0 = shards_->at(0).io();
    public_ = std::make_shared<listener>(*services_, io0, cfg_.public_address, listener_kind::public_listener);
    internal_ = std::make_shared<listener>(*services_, io0, cfg_.internal_address, listener_kind::internal_listener);
    public_->start();
    internal_->start();
    shards_->run();
    {
        std::lock_guard lock(mutex_);
        started_ = true;
    }
    announce_access_policy(cfg_, *auth_, *log_);
    log_->info("herald {} listening: public http://{} (SSE, WebSocket), internal http://{} (publish API), broker {}, {} threads",
               HERALD_VERSION, public_endpoint(), internal_endpoint(), broker_->kind(), shards_->shard_count());
}

namespace {
// HOST:PORT with the bound port (the configured one may be 0).
std::string with_port(const std::string& configured, unsigned short port) {
    return configured.substr(0, configured.rfind(':') + 1) + std::to_string(port);
}
}  // namespace

std::string server::public_endpoint() const { return with_port(cfg_.public_address, public_port()); }
std::string server::internal_endpoint() const { return with_port(cfg_.internal_address, internal_port()); }

unsigned short server::public_port() const { return public_ ? public_->port() : 0; }
unsigned short server::internal_port() const { return internal_ ? internal_->port() : 0; }

void server::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stop_requested_ || !started_) {
            if (!started_) stopped_ = true;
            cv_.notify_all();
            return;
        }
        stop_requested_ = true;
    }
    services_->stopping.store(true);
    log_->info("stopping: closing listeners and ending streams");
    auto pub = public_, in = internal_;
    asio::post(shards_->at(0).io(), [pub, in] {
        pub->stop();
        in->stop();
    });
    shards_->stop();
    std::lock_guard lock(mutex_);
    watchdog_ = std::thread([this] {
        // Shards end by themselves once their connections have said goodbye; force it after the timeout.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.shutdown_timeout_ms);
        std::unique_lock lock(mutex_);
        if (!cv_.wait_until(lock, deadline, [this] { return stopped_; })) {
            lock.unlock();
            log_->warn("shutdown timeout of {} ms passed: closing remaining connections", cfg_.shutdown_timeout_ms);
            shards_->force_stop();
        }
    });
}

void server::abort() { shards_->force_stop(); }

bool server::finished() {
    std::lock_guard lock(mutex_);
    return stopped_;
}

void server::wait() {
    {
        std::unique_lock lock(mutex_);
        if (!started_) return;
        cv_.wait(lock, [this] { return stop_requested_; });
    }
    shards_->join();
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        cv_.notify_all();
    }
    std::thread watchdog;
    {
        std::lock_guard lock(mutex_);
        watchdog.swap(watchdog_);
    }
    if (watchdog.joinable()) watchdog.join();
}

}  // namespace herald::sidecar
