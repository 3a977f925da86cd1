// Server: construction order = lifetime order; stop = drain (readyz 503, public acceptor closed,
// streams told to come back over the drain window), then stop shards (bounded by the shutdown
// timeout), join.
#include "sidecar/server.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <limits>
#include <thread>

#include "lib/broker/memory_broker.hpp"
#include "lib/broker/redis_broker.hpp"
#include "lib/broker/redis_presence_store.hpp"
#include "lib/presence/memory_presence_store.hpp"
#include "sidecar/auth_setup.hpp"

namespace herald::sidecar {

namespace {
// Whether some `channels` entry sets a conflation window.
bool any_conflation(const config::config& cfg) {
    return std::any_of(cfg.channels.begin(), cfg.channels.end(),
                       [](const config::channel_rule& r) { return r.conflate_ms.value_or(0) > 0; });
}
}  // namespace

server::server(config::config cfg, std::shared_ptr<spdlog::logger> log) : cfg_(std::move(cfg)), log_(std::move(log)) {
    std::size_t threads = cfg_.threads ? cfg_.threads : std::max(1u, std::thread::hardware_concurrency());
    // One coarse sweep per shard drives keepalives, pings and idle timeouts.
    std::int64_t tick = std::min<std::int64_t>({1000, cfg_.sse.keepalive_ms, cfg_.ws.ping_interval_ms});
    shards_ = std::make_unique<shard_pool>(threads, std::max<std::int64_t>(tick, 10));
    // The hub asks the policies in force for a channel's conflation window at each broadcast
    // (SIGHUP swaps them), and only while some entry conflates; the services and metrics exist
    // before the first broadcast can arrive.
    channels::hub_options ho;
    ho.conflate_ms_for = [this](const std::string& channel) { return services_->policies().delivery(channel).conflate_ms; };
    ho.on_conflated = [this](std::uint64_t n) { metrics_->conflated_events.fetch_add(n, std::memory_order_relaxed); };
    hub_ = std::make_unique<channels::hub>(*shards_, std::move(ho));
    hub_->set_conflation_configured(any_conflation(cfg_));
    broker_ = make_broker();
    node_ = std::make_unique<node::node>(*broker_, *hub_);
    auth_ = make_access_policy(cfg_, clock_);
    metrics_ = std::make_unique<metrics>(shards_->shard_count());
    channel_policies_.push_back(std::make_unique<const config::channel_policies>(cfg_));
    presence_ = std::make_unique<presence_service>(
        cfg_, make_presence_store(), *hub_, [this]() -> const config::channel_policies& { return services_->policies(); },
        *metrics_, log_);
    services_ = std::make_unique<services>(cfg_, *auth_, *channel_policies_.back(), *node_, *metrics_, *shards_,
                                           *presence_, *log_);
}

std::unique_ptr<presence::presence_store> server::make_presence_store() {
    if (cfg_.broker == "memory") {
        return std::make_unique<presence::memory_presence_store>(presence::random_node_id());
    }
    broker::redis_presence_options po;
    po.heartbeat_ttl_ms = cfg_.presence.heartbeat_ttl_ms;
    po.command_timeout = std::chrono::milliseconds(cfg_.redis.command_timeout_ms);
    po.ping_interval = std::chrono::milliseconds(cfg_.redis.ping_interval_ms);
    po.connect_timeout = po.command_timeout;
    auto store = broker::redis_presence_store::create(cfg_.broker, po);
    if (!store) throw std::runtime_error(store.err().message + " (" + store.err().hint + ")");
    // The broker has just reached the same Redis; a store still connecting would fail the first
    // heartbeat for nothing.
    if (auto e = store.value()->wait_connected(std::chrono::milliseconds(3000)))
        log_->warn("presence store: {} ({}); retrying in the background", e->message, e->hint);
    return std::move(store.value());
}

std::unique_ptr<broker::broker> server::make_broker() {
    // Each publish asks the channel policies in force (SIGHUP swaps them); the services exist
    // before the first publish can arrive.
    auto limits_for = [this](const std::string& channel) {
        const auto h = services_->policies().storage(channel);
        return broker::channel_limits{h.size, h.ttl_ms, h.max_bytes, h.keyed, h.max_keys};
    };
    if (cfg_.broker == "memory") {
        broker::memory_broker_options mo;
        mo.history_size = cfg_.history.size;
        mo.history_ttl_ms = cfg_.history.ttl_ms;
        mo.history_max_bytes = cfg_.history.max_bytes;
        mo.idempotency_window_ms = cfg_.history.idempotency_window_ms;
        mo.max_channels = cfg_.history.max_channels;
        mo.limits_for = limits_for;
        mo.sweep_interval_ms = 1000;  // expired idempotency keys and idle channels go within a second
        mo.in_use = [hub = hub_.get()](const std::string& channel) { return hub->subscribers(channel) > 0; };
        return std::make_unique<broker::memory_broker>(clock_, mo);
    }
    broker::redis_broker_options ro;
    ro.history_size = cfg_.history.size;
    ro.history_ttl_ms = cfg_.history.ttl_ms;
    ro.history_max_bytes = cfg_.history.max_bytes;
    ro.idempotency_window_ms = cfg_.history.idempotency_window_ms;
    ro.max_channels = cfg_.history.max_channels;
    ro.limits_for = limits_for;
    ro.command_timeout = std::chrono::milliseconds(cfg_.redis.command_timeout_ms);
    ro.ping_interval = std::chrono::milliseconds(cfg_.redis.ping_interval_ms);
    // A connect (with AUTH/SELECT/PING) is held to the same deadline as any command, so a hung
    // Redis keeps failing fast (broker_timeout) while herald retries.
    ro.connect_timeout = ro.command_timeout;
    ro.live_channels = [hub = hub_.get()] {
        std::vector<std::string> names;
        for (auto& [name, count] : hub->channels("", "", std::numeric_limits<std::size_t>::max())) names.push_back(std::move(name));
        return names;
    };
    auto redis = broker::redis_broker::create(cfg_.broker, clock_, ro);
    if (!redis) throw std::runtime_error("--broker: " + redis.err().message + " (" + redis.err().hint + ")");
    // Unreachable at start is not fatal: the broker keeps retrying, /readyz answers 503 meanwhile.
    if (auto e = (*redis)->wait_connected(ro.start_wait))
        log_->error("{}; retrying with backoff, /readyz answers 503 until it connects", e->message);
    else
        log_->info("broker: connected to {}", (*redis)->url().display());
    return std::move(*redis);
}

std::vector<std::string> server::reload(config::config next) {
    std::lock_guard lock(reload_mutex_);
    const auto& current = services_->cfg();
    std::vector<std::string> restart;
    auto keep = [&](const char* key, auto& field, const auto& running) {
        if (field != running) restart.emplace_back(key);
        field = running;
    };
    keep("public", next.public_address, current.public_address);
    keep("internal", next.internal_address, current.internal_address);
    keep("broker", next.broker, current.broker);
    keep("threads", next.threads, current.threads);
    keep("log.format", next.log_format, current.log_format);
    keep("history.size", next.history.size, current.history.size);
    keep("history.ttl", next.history.ttl_ms, current.history.ttl_ms);
    keep("history.max_bytes", next.history.max_bytes, current.history.max_bytes);
    keep("history.idempotency_window", next.history.idempotency_window_ms, current.history.idempotency_window_ms);
    keep("history.max_channels", next.history.max_channels, current.history.max_channels);
    keep("redis.command_timeout", next.redis.command_timeout_ms, current.redis.command_timeout_ms);
    keep("redis.ping_interval", next.redis.ping_interval_ms, current.redis.ping_interval_ms);
    auto policy = make_access_policy(next, clock_);  // throws: nothing has changed yet
    auto cfg = std::make_unique<const config::config>(std::move(next));
    auto channel_policies = std::make_unique<const config::channel_policies>(*cfg);
    const auto changes = config::describe_policy_changes(current.channels, cfg->channels);
    services_->swap_in(*cfg, *policy, *channel_policies);
    hub_->set_conflation_configured(any_conflation(*cfg));
    log_->set_level(spdlog::level::from_str(cfg->log_level));
    announce_access_policy(*cfg, *policy, *log_);
    for (const auto& line : changes) log_->info("SIGHUP: {}", line);
    configs_.push_back(std::move(cfg));
    policies_.push_back(std::move(policy));
    channel_policies_.push_back(std::move(channel_policies));
    return restart;
}

server::~server() {
    stop();
    wait();
    // The broker goes first: stopping it answers its pending reads and calls with errors, and
    // those callbacks post to the sessions' shards, which must still exist (they only queue:
    // the shards no longer run). Then, after an abort the io_contexts still hold handlers, and
    // with them sessions that reference the services: destroy them while everything they
    // reference is alive. The listeners' acceptors and timers belong to shard 0's io_context,
    // so they go just before it.
    broker_.reset();
    public_.reset();
    internal_.reset();
    shards_.reset();
    presence_.reset();  // after the sessions: they report their end to it
}

void server::start() {
    auto& io0 = shards_->at(0).io();
    public_ = std::make_shared<listener>(*services_, io0, cfg_.public_address, listener_kind::public_listener);
    internal_ = std::make_shared<listener>(*services_, io0, cfg_.internal_address, listener_kind::internal_listener);
    public_->start();
    internal_->start();
    shards_->run();
    presence_->start();
    {
        std::lock_guard lock(mutex_);
        started_ = true;
    }
    announce_access_policy(cfg_, *auth_, *log_);
    for (std::size_t i = 0; i < cfg_.channels.size(); ++i)
        log_->info("channel policy channels[{}]: {}", i, config::describe_rule(cfg_.channels[i]));
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
    // Drain: /readyz answers 503 at once and the public listener stops accepting; streams are told
    // to come back spread over the drain window; then the internal listener and the requests still
    // open end too, and the process exits. The watchdog forces it at the shutdown timeout.
    services_->stopping.store(true);
    const auto window = services_->cfg().shutdown.drain_window_ms;
    const auto timeout = services_->cfg().shutdown.timeout_ms;
    log_->info("draining: /readyz answers 503, public listener closed, streams end over the next {} ms", window);
    auto pub = public_, in = internal_;
    asio::post(shards_->at(0).io(), [pub] { pub->stop(); });
    shards_->drain(window, [this] {
        std::lock_guard lock(mutex_);
        drained_ = true;
        cv_.notify_all();
    });
    std::lock_guard lock(mutex_);
    watchdog_ = std::thread([this, window, timeout, in] {
        const auto begin = std::chrono::steady_clock::now();
        std::unique_lock lock(mutex_);
        // Until every stream has been told (at most the window, plus a little for busy shards).
        cv_.wait_until(lock, begin + std::chrono::milliseconds(window + 500), [this] { return drained_ || stopped_; });
        if (!stopped_) {
            lock.unlock();
            asio::post(shards_->at(0).io(), [in] { in->stop(); });
            shards_->stop();
            lock.lock();
        }
        if (!cv_.wait_until(lock, begin + std::chrono::milliseconds(timeout), [this] { return stopped_; })) {
            lock.unlock();
            log_->warn("shutdown timeout of {} ms passed: closing remaining connections", timeout);
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
    presence_->stop();
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
