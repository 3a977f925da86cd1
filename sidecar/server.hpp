// The composition root of `herald serve`: builds the broker, hub, node, shards and listeners,
// runs them, and stops cleanly. The destructor destroys the shards first, so that sessions
// (destroyed with the io_contexts) never outlive what they reference.
// The constructor throws std::runtime_error for a configuration that cannot run (a key file that
// cannot be read, an internal listener off loopback with no API key); start() throws when a
// listener cannot bind. Both messages name the resource and say how to fix it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <spdlog/logger.h>
#include <thread>
#include <vector>

#include "lib/auth/access_policy.hpp"
#include "lib/broker/broker.hpp"
#include "lib/channels/hub.hpp"
#include "lib/config/channel_policies.hpp"
#include "lib/config/config.hpp"
#include "lib/node/node.hpp"
#include "lib/util/clock.hpp"
#include "sidecar/listener.hpp"
#include "sidecar/metrics.hpp"
#include "sidecar/presence_service.hpp"
#include "sidecar/services.hpp"
#include "sidecar/shard.hpp"

namespace herald::sidecar {

class server {
public:
    server(config::config cfg, std::shared_ptr<spdlog::logger> log);
    ~server();

    void start();                 // bind listeners and start the I/O threads
    void wait();                  // block until stop() has completed
    void stop();                  // any thread, idempotent: streams get a goodbye, then threads end
    void abort();                 // any thread: end every connection now (a second signal)
    bool finished();              // wait() has completed
    // SIGHUP: applies the reloadable settings of `next` (limits, timeouts, auth keys and patterns,
    // API keys, log level, channel policies by pattern) to new requests and streams without dropping any connection. Returns
    // the keys that changed but need a restart (they keep their running values). Throws
    // std::runtime_error, keeping everything as it was, when `next` cannot be applied.
    std::vector<std::string> reload(config::config next);
    unsigned short public_port() const;
    unsigned short internal_port() const;
    // HOST:PORT as bound (after start()).
    std::string public_endpoint() const;
    std::string internal_endpoint() const;

private:
    std::unique_ptr<broker::broker> make_broker();  // memory, or Redis for a redis:// URL
    std::unique_ptr<presence::presence_store> make_presence_store();  // the broker's kind

    config::config cfg_;
    std::shared_ptr<spdlog::logger> log_;
    util::system_clock clock_;
    std::unique_ptr<shard_pool> shards_;
    std::unique_ptr<channels::hub> hub_;         // before the broker: its threads ask the hub, so it goes last
    std::unique_ptr<broker::broker> broker_;
    std::unique_ptr<node::node> node_;
    std::unique_ptr<auth::access_policy> auth_;
    std::unique_ptr<metrics> metrics_;
    std::unique_ptr<presence_service> presence_;
    std::unique_ptr<services> services_;
    // Every version SIGHUP installed: sessions may hold references to an older one until exit.
    std::mutex reload_mutex_;
    std::vector<std::unique_ptr<const config::config>> configs_;
    std::vector<std::unique_ptr<auth::access_policy>> policies_;
    std::vector<std::unique_ptr<const config::channel_policies>> channel_policies_;
    std::shared_ptr<listener> public_, internal_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::thread watchdog_;
    bool started_ = false, stop_requested_ = false, drained_ = false, stopped_ = false;
};

}  // namespace herald::sidecar
