// Shards: one io_context per I/O thread. Each connection lives on one shard for its whole life,
// so its state needs no lock. A shard keeps its connections (for the keepalive sweep and stop),
// and a flush list so that deliveries queued in one pass go out as one gather write each.
// shard_pool implements channels::shard_executor for the Hub; its delayed work (post_after, the
// Hub's conflation windows) runs on a steady_timer of the shard, one per delayed item, cancelled
// when the shard stops so a pending window never holds the io_context open.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "lib/channels/shard_executor.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/gather_write.hpp"

namespace herald::sidecar {

namespace asio = boost::asio;

class shard {
public:
    shard(std::size_t index, std::int64_t tick_ms);

    std::size_t index() const { return index_; }
    asio::io_context& io() { return io_; }

    // Shard thread only.
    void add(std::shared_ptr<connection> c) { connections_.insert(std::move(c)); }
    void remove(const std::shared_ptr<connection>& c) { connections_.erase(c); }
    std::size_t connection_count() const { return connections_.size(); }
    // Calls f(const connection&) for each connection, for inspection; f must not add or remove any.
    template <class F>
    void for_each_connection(F&& f) const {
        for (const auto& c : connections_) f(static_cast<const connection&>(*c));
    }
    // Asks for c->flush() at the end of the current batch of work on this shard.
    void request_flush(std::shared_ptr<connection> c);
    // Shard thread: runs `work` here once `delay_ms` have passed, unless the shard stops first.
    void run_after(std::int64_t delay_ms, std::function<void()> work);

    void start_sweep();
    // Steady clock in milliseconds, as passed to connection::tick.
    static std::int64_t now_ms();
    static std::int64_t wall_ms();
    // The time of the last sweep: cheap enough to stamp every write with.
    std::int64_t coarse_now() const { return coarse_now_; }
    // Wall-clock milliseconds since 1970 at the last sweep (token expiry is wall-clock time).
    std::int64_t coarse_wall() const { return coarse_wall_; }
    // Ends this shard's connections of `user`; returns how many.
    std::size_t end_user(std::string_view user, const model::disconnect& why);
    // One read buffer shared by the shard's connections: a read is parsed before the next starts.
    std::vector<char>& read_buffer() {
        if (read_buffer_.empty()) read_buffer_.resize(64 * 1024);
        return read_buffer_;
    }
    // Write slots lent to streams for one gather write each (sidecar/gather_write.hpp).
    write_slot_pool& write_slots() { return write_slots_; }
    // Shard thread: ends the streams held now one by one, each at a random moment within
    // window_ms (jitter, so clients do not all reconnect at once). Requests are left to stop().
    // `done` runs (on this thread) once every stream has been told.
    void drain(std::int64_t window_ms, std::function<void()> done);
    void stop();  // shard thread: shut connections down, stop the sweep, release the work guard

private:
    void sweep();
    void flush_all();
    void drain_due();

    std::size_t index_;
    std::int64_t tick_ms_;
    asio::io_context io_{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    asio::steady_timer sweep_timer_;
    std::unordered_set<std::shared_ptr<connection>> connections_;
    std::vector<std::shared_ptr<connection>> to_flush_, flushing_;
    bool stopped_ = false;
    std::int64_t coarse_now_ = now_ms();
    std::int64_t coarse_wall_ = wall_ms();
    std::vector<char> read_buffer_;
    write_slot_pool write_slots_;
    asio::steady_timer drain_timer_;
    std::vector<std::pair<std::int64_t, std::weak_ptr<connection>>> drain_queue_;  // by deadline, latest first
    std::function<void()> drain_done_;
    std::unordered_set<std::shared_ptr<asio::steady_timer>> delayed_;  // run_after's timers still waiting
};

class shard_pool final : public channels::shard_executor {
public:
    shard_pool(std::size_t count, std::int64_t tick_ms);
    std::size_t shard_count() const override { return shards_.size(); }
    void post(std::size_t shard, std::function<void()> work) override;
    void post_after(std::size_t shard, std::int64_t delay_ms, std::function<void()> work) override;
    shard& at(std::size_t i) { return *shards_[i]; }
    // Round-robin choice for a new connection.
    shard& next();

    void run();       // starts one thread per shard and returns
    // Asks every shard to drain its streams (any thread); `done` runs once all shards have told
    // every stream (on the last shard's thread).
    void drain(std::int64_t window_ms, std::function<void()> done);
    void stop();      // asks every shard to stop (any thread)
    void force_stop();
    void join();

private:
    std::vector<std::unique_ptr<shard>> shards_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace herald::sidecar
